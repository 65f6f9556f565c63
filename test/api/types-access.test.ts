/**
 * Private volume types and `os-volume-type-access`: listing who may use a type, adding and removing
 * projects with `POST /types/{id}/action`, and what a project then sees and may use. Expected
 * answers are Real Cinder Zed's (status codes and messages compared side by side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';
import { createType } from '../support/volume-types.js';
import type { RequestContext } from '../../src/common/context.js';
import { volumeTypeList } from '../../src/db/api/volume-types.js';
import {
  getDefaultVolumeType,
  getVolumeType,
  getVolumeTypeByNameOrId,
} from '../../src/volume/volume-types.js';

const PROJECT_B = '0b5a2e0c00004000800000000000000b';
const MISSING = '0b5a2e0c-0000-4000-8000-000000000000';

const action = (k: TestKindling, typeId: string, body: unknown) =>
  k.req('POST', `/v3/types/${typeId}/action`, body);
const access = (k: TestKindling, typeId: string) => k.req('GET', `/v3/types/${typeId}/os-volume-type-access`);

/** A member (non-admin) of `project`, as Keystone would make it; noauth callers are all admins. */
function member(project: string): RequestContext {
  return { userId: 'u', projectId: project, isAdmin: false, roles: ['member'], requestId: 'req-test' };
}

test('add, list and remove project access of a private type', async (t) => {
  const k = await startForTest(t);
  const priv = await createType(k, { name: 'priv', 'os-volume-type-access:is_public': false });

  assert.deepEqual((await access(k, priv.id)).body, { volume_type_access: [] });

  const add = await action(k, priv.id, { addProjectAccess: { project: PROJECT_B } });
  assert.equal(add.status, 202, add.text);
  assert.equal(add.text, '');
  assert.deepEqual((await access(k, priv.id)).body, {
    volume_type_access: [{ volume_type_id: priv.id, project_id: PROJECT_B }],
  });

  const again = await action(k, priv.id, { addProjectAccess: { project: PROJECT_B } });
  assert.equal(again.status, 409);
  assert.deepEqual(again.body, {
    conflictingRequest: {
      code: 409,
      message: `Volume type access for ${priv.id} / ${PROJECT_B} combination already exists.`,
    },
  });

  const remove = await action(k, priv.id, { removeProjectAccess: { project: PROJECT_B } });
  assert.equal(remove.status, 202);
  assert.deepEqual((await access(k, priv.id)).body, { volume_type_access: [] });

  const removeAgain = await action(k, priv.id, { removeProjectAccess: { project: PROJECT_B } });
  assert.equal(removeAgain.status, 404);
  assert.deepEqual(removeAgain.body, {
    itemNotFound: {
      code: 404,
      message: `Volume type access not found for ${priv.id} / ${PROJECT_B} combination.`,
    },
  });

  // Access may be given again after it was taken away.
  const readd = await action(k, priv.id, { addProjectAccess: { project: PROJECT_B } });
  assert.equal(readd.status, 202);
  assert.deepEqual((await access(k, priv.id)).body.volume_type_access, [
    { volume_type_id: priv.id, project_id: PROJECT_B },
  ]);

  await k.notifications.waitForEvents([
    'volume_type_project.access.add',
    'volume_type_project.access.remove',
  ]);
});

test('access of public and missing types, and bad action bodies', async (t) => {
  const k = await startForTest(t);
  const pub = await createType(k, { name: 'pub' });

  const list = await access(k, pub.id);
  assert.equal(list.status, 404);
  assert.deepEqual(list.body, {
    itemNotFound: { code: 404, message: 'Access list not available for public volume types.' },
  });
  for (const name of ['addProjectAccess', 'removeProjectAccess']) {
    const r = await action(k, pub.id, { [name]: { project: PROJECT_B } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      badRequest: {
        code: 400,
        message: 'Invalid volume type: Type access modification is not applicable to public volume type.',
      },
    });
  }

  const missingList = await access(k, MISSING);
  assert.equal(missingList.status, 404);
  assert.equal(missingList.body.itemNotFound.message, `Volume type ${MISSING} could not be found.`);
  const missingAdd = await action(k, MISSING, { addProjectAccess: { project: PROJECT_B } });
  assert.equal(missingAdd.status, 404);
  assert.equal(missingAdd.body.itemNotFound.message, `Volume type ${MISSING} could not be found.`);

  const priv = await createType(k, { name: 'priv', 'os-volume-type-access:is_public': false });
  const cases: [unknown, string][] = [
    [
      { addProjectAccess: { project: 'not-a-uuid' } },
      "Invalid input for field/attribute project. Value: not-a-uuid. 'not-a-uuid' is not a 'uuid'",
    ],
    [
      { addProjectAccess: {} },
      "Invalid input for field/attribute addProjectAccess. Value: {}. 'project' is a required property",
    ],
    [
      { removeProjectAccess: 'x' },
      "Invalid input for field/attribute removeProjectAccess. Value: x. 'x' is not of type 'object'",
    ],
    [
      { foo: {} },
      'There is no such action: foo. Verify the request body and Content-Type header and try again.',
    ],
    [{}, 'Malformed request body'],
    [{ addProjectAccess: { project: PROJECT_B }, foo: {} }, 'Malformed request body'],
    // No body at all: Cinder looks up the action `None`.
    [
      undefined,
      'There is no such action: None. Verify the request body and Content-Type header and try again.',
    ],
  ];
  for (const [body, message] of cases) {
    const r = await action(k, priv.id, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.deepEqual(r.body, { badRequest: { code: 400, message } }, JSON.stringify(body));
  }
  assert.deepEqual((await access(k, priv.id)).body, { volume_type_access: [] });
});

test('a project sees and uses a private type only once it has access', async (t) => {
  const k = await startForTest(t);
  const priv = await createType(k, { name: 'priv', 'os-volume-type-access:is_public': false });
  const asB = { 'x-auth-token': `userb:${PROJECT_B}` };
  const listedForB = async () =>
    (await k.req('GET', '/v3/types', undefined, asB)).body.volume_types.map((v: any) => v.name).sort();

  // The type list without `is_public` is the public types plus those shared with the caller's project.
  assert.deepEqual(await listedForB(), ['__DEFAULT__']);
  const b = member(PROJECT_B);
  const db = k.db;
  await assert.rejects(getVolumeType(db, b, priv.id), {
    message: `Volume type ${priv.id} could not be found.`,
  });
  await assert.rejects(getVolumeTypeByNameOrId(db, b, 'priv'), {
    message: 'Volume type with name priv could not be found.',
  });
  const memberList = async () =>
    (await volumeTypeList(db, { isPublic: true, projectId: PROJECT_B }, {})).map((v) => v.name).sort();
  assert.deepEqual(await memberList(), ['__DEFAULT__']);

  assert.equal((await action(k, priv.id, { addProjectAccess: { project: PROJECT_B } })).status, 202);

  assert.deepEqual(await listedForB(), ['__DEFAULT__', 'priv']);
  assert.equal((await getVolumeType(db, b, priv.id)).name, 'priv');
  assert.equal((await getVolumeTypeByNameOrId(db, b, 'priv')).id, priv.id);
  assert.deepEqual(await memberList(), ['__DEFAULT__', 'priv']);
  // Another project still does not see it.
  const other = member('0b5a2e0c00004000800000000000000c');
  await assert.rejects(getVolumeType(db, other, priv.id), {
    message: `Volume type ${priv.id} could not be found.`,
  });

  // A volume of the type can now be created in project B.
  const created = await k.req(
    'POST',
    `/v3/${PROJECT_B}/volumes`,
    { volume: { size: 1, volume_type: 'priv' } },
    asB,
  );
  assert.equal(created.status, 202, created.text);
  const vol = await waitForVolumeStatus(k, created.body.volume.id, ['available', 'error']);
  assert.equal(vol.status, 'available');
  assert.equal(vol.volume_type, 'priv');

  assert.equal((await action(k, priv.id, { removeProjectAccess: { project: PROJECT_B } })).status, 202);
  assert.deepEqual(await listedForB(), ['__DEFAULT__']);
  await assert.rejects(getVolumeType(db, b, priv.id), {
    message: `Volume type ${priv.id} could not be found.`,
  });
  // A project default naming a private type it cannot see is 404, as in Cinder.
  await k.req(
    'PUT',
    `/v3/default-types/${PROJECT_B}`,
    { default_type: { volume_type: 'priv' } },
    {
      'openstack-api-version': 'volume 3.62',
    },
  );
  await assert.rejects(getDefaultVolumeType(db, b, '__DEFAULT__'), {
    message: `Volume type ${priv.id} could not be found.`,
  });
});

test('deleting a private type takes its access rows with it', async (t) => {
  const k = await startForTest(t);
  const priv = await createType(k, { name: 'priv', 'os-volume-type-access:is_public': false });
  assert.equal((await action(k, priv.id, { addProjectAccess: { project: PROJECT_B } })).status, 202);
  assert.equal((await k.req('DELETE', `/v3/types/${priv.id}`)).status, 202);
  const live = await k.db
    .selectFrom('volume_type_projects')
    .select('id')
    .where('volume_type_id', '=', priv.id)
    .where('deleted', '=', 0)
    .execute();
  assert.deepEqual(live, []);
  const gone = await access(k, priv.id);
  assert.equal(gone.status, 404);
});
