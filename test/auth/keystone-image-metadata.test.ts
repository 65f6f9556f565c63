/**
 * Volume image metadata in keystone mode (a fake Keystone): members work on their own volumes'
 * image metadata and not on other projects' (404); the `glance_metadata` filter is an admin's
 * (a member's is ignored below 3.31 and refused from 3.31, as Real Cinder answers); and the
 * `volume_extension:volume_image_metadata:*` rules of a policy.yaml decide who sets it and who
 * sees `volume_image_metadata` in views.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { FakeKeystone } from './fake-keystone.js';

interface Rig {
  k: TestKindling;
  /** Tokens: members of projects pa and pb, and an admin (of project padm). */
  a: string;
  b: string;
  admin: string;
}

async function rig(t: TestContext, env: Record<string, string> = {}): Promise<Rig> {
  const ks = await new FakeKeystone().start();
  t.after(() => ks.stop());
  const k = await startTestKindling(
    {
      KINDLING__DEFAULT__auth_strategy: 'keystone',
      KINDLING__keystone_authtoken__auth_url: `${ks.url}/v3`,
      KINDLING__keystone_authtoken__username: 'kindling',
      KINDLING__keystone_authtoken__password: 'secret',
      KINDLING__keystone_authtoken__project_name: 'service',
      ...env,
    },
    { waitForPools: false },
  );
  t.after(() => k.close());
  const r: Rig = {
    k,
    a: ks.issue({ userId: 'ua', projectId: 'pa', roles: ['member', 'reader'] }),
    b: ks.issue({ userId: 'ub', projectId: 'pb', roles: ['member', 'reader'] }),
    admin: ks.issue({ userId: 'uadm', projectId: 'padm', roles: ['admin', 'member', 'reader'] }),
  };
  await waitFor(
    async () =>
      (await k.req('GET', '/v3/padm/scheduler-stats/get_pools', undefined, { 'x-auth-token': r.admin })).body
        ?.pools?.length > 0,
  );
  return r;
}

const as = (token: string, version = '3.0') => ({
  'x-auth-token': token,
  'openstack-api-version': `volume ${version}`,
});

async function createVolume(r: Rig, name: string): Promise<string> {
  const res = await r.k.req('POST', '/v3/pa/volumes', { volume: { size: 1, name } }, as(r.a));
  assert.equal(res.status, 202, res.text);
  await waitForVolumeStatus(
    { ...r.k, req: (m, u, b, h) => r.k.req(m, u, b, { ...as(r.admin), ...h }) },
    res.body.volume.id,
    ['available'],
  );
  return res.body.volume.id as string;
}

const action = (r: Rig, token: string, project: string, id: string, body: unknown) =>
  r.k.req('POST', `/v3/${project}/volumes/${id}/action`, body, as(token));

test('members on their own volumes only; the glance_metadata filter is for admins', async (t) => {
  const r = await rig(t);
  const id = await createVolume(r, 'with');
  await createVolume(r, 'without');

  let res = await action(r, r.a, 'pa', id, { 'os-set_image_metadata': { metadata: { image_id: 'i1' } } });
  assert.equal(res.status, 200, res.text);
  res = await action(r, r.admin, 'padm', id, { 'os-set_image_metadata': { metadata: { by: 'admin' } } });
  assert.deepEqual(res.body, { metadata: { by: 'admin', image_id: 'i1' } });
  res = await action(r, r.a, 'pa', id, { 'os-show_image_metadata': null });
  assert.deepEqual(res.body, { metadata: { image_id: 'i1', by: 'admin' } });
  const view = await r.k.req('GET', `/v3/pa/volumes/${id}`, undefined, as(r.a));
  assert.deepEqual(view.body.volume.volume_image_metadata, { image_id: 'i1', by: 'admin' });

  const hidden = { itemNotFound: { code: 404, message: `Volume ${id} could not be found.` } };
  for (const body of [
    { 'os-set_image_metadata': { metadata: { x: '1' } } },
    { 'os-show_image_metadata': null },
    { 'os-unset_image_metadata': { key: 'image_id' } },
  ])
    assert.deepEqual((await action(r, r.b, 'pb', id, body)).body, hidden, Object.keys(body)[0]);
  assert.equal((await action(r, r.a, 'pa', id, { 'os-unset_image_metadata': { key: 'by' } })).status, 200);

  const filter = `glance_metadata=${encodeURIComponent('{"image_id":"i1"}')}`;
  const names = (body: any) => body.volumes.map((v: any) => v.name).sort();
  // A member's filter: dropped below 3.31, refused from 3.31.
  res = await r.k.req('GET', `/v3/pa/volumes/detail?${filter}`, undefined, as(r.a, '3.30'));
  assert.deepEqual(names(res.body), ['with', 'without']);
  res = await r.k.req('GET', `/v3/pa/volumes/detail?${filter}`, undefined, as(r.a, '3.31'));
  assert.deepEqual(res.body, {
    badRequest: { code: 400, message: 'Invalid filters glance_metadata are found in query options.' },
  });
  res = await r.k.req(
    'GET',
    `/v3/padm/volumes/detail?all_tenants=1&${filter}`,
    undefined,
    as(r.admin, '3.70'),
  );
  assert.deepEqual(names(res.body), ['with']);
});

test('policy.yaml: set and the views’ volume_image_metadata follow volume_extension:volume_image_metadata:*', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-policy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'policy.yaml'),
    [
      '"volume_extension:volume_image_metadata:set": "role:admin"',
      '"volume_extension:volume_image_metadata:show": "role:admin"',
      '"volume_extension:volume_image_metadata:remove": "role:admin"',
      '',
    ].join('\n'),
  );
  const r = await rig(t, { KINDLING__oslo_policy__policy_file: join(dir, 'policy.yaml') });
  const id = await createVolume(r, 'v');
  const refused = (rule: string) => ({
    forbidden: {
      code: 403,
      message: `Policy doesn't allow volume_extension:volume_image_metadata:${rule} to be performed.`,
    },
  });
  let res = await action(r, r.a, 'pa', id, { 'os-set_image_metadata': { metadata: { image_id: 'i1' } } });
  assert.deepEqual(res.body, refused('set'));
  res = await action(r, r.admin, 'padm', id, { 'os-set_image_metadata': { metadata: { image_id: 'i1' } } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    (await action(r, r.a, 'pa', id, { 'os-unset_image_metadata': { key: 'image_id' } })).body,
    refused('remove'),
  );
  // The action itself is `volume:get_volume_metadata`'s; only the views follow `:show`.
  res = await action(r, r.a, 'pa', id, { 'os-show_image_metadata': null });
  assert.deepEqual(res.body, { metadata: { image_id: 'i1' } });
  const member = await r.k.req('GET', `/v3/pa/volumes/${id}`, undefined, as(r.a));
  assert.equal('volume_image_metadata' in member.body.volume, false);
  const memberList = await r.k.req('GET', '/v3/pa/volumes/detail', undefined, as(r.a));
  assert.equal('volume_image_metadata' in memberList.body.volumes[0], false);
  const admin = await r.k.req('GET', `/v3/padm/volumes/${id}`, undefined, as(r.admin));
  assert.deepEqual(admin.body.volume.volume_image_metadata, { image_id: 'i1' });
});
