/**
 * `/types/{id}/encryption`: specs are kept in the database with no key manager configured, as Real
 * Cinder Zed keeps them (create, show, show one key, update, delete, and their errors compared side
 * by side); specs of a type in use cannot change; creating a volume of an encrypted type fails the
 * way Cinder fails without a key manager.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';
import { createType } from '../support/volume-types.js';
import { createEncryptionKey } from '../../src/volume/volume-types.js';

const MISSING = '0b5a2e0c-0000-4000-8000-000000000000';
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

const LUKS = { provider: 'luks', control_location: 'front-end', cipher: 'aes-xts-plain64', key_size: '256' };

test('create, show, show a key, update and delete an encryption spec', async (t) => {
  const k = await startForTest(t);
  const enc = await createType(k, 'enc');
  const url = `/v3/admin/types/${enc.id}/encryption`;

  const none = await k.req('GET', url);
  assert.equal(none.status, 200);
  assert.deepEqual(none.body, {});

  const created = await k.req('POST', url, { encryption: LUKS });
  assert.equal(created.status, 200, created.text);
  const encryptionId = created.body.encryption.encryption_id;
  assert.match(encryptionId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(created.body, {
    encryption: {
      provider: 'luks',
      control_location: 'front-end',
      cipher: 'aes-xts-plain64',
      key_size: 256,
      volume_type_id: enc.id,
      encryption_id: encryptionId,
    },
  });

  const shown = await k.req('GET', url);
  assert.match(shown.body.created_at, TIMESTAMP);
  assert.deepEqual(shown.body, {
    created_at: shown.body.created_at,
    updated_at: null,
    deleted_at: null,
    deleted: false,
    encryption_id: encryptionId,
    cipher: 'aes-xts-plain64',
    key_size: 256,
    provider: 'luks',
    control_location: 'front-end',
    volume_type_id: enc.id,
  });
  assert.deepEqual((await k.req('GET', `${url}/provider`)).body, { provider: 'luks' });
  assert.deepEqual((await k.req('GET', `${url}/key_size`)).body, { key_size: 256 });
  assert.deepEqual((await k.req('GET', `${url}/encryption_id`)).body, { encryption_id: encryptionId });
  const noKey = await k.req('GET', `${url}/nope`);
  assert.equal(noKey.status, 404);
  assert.deepEqual(noKey.body, {
    itemNotFound: { code: 404, message: `Volume type encryption for type ${enc.id} does not exist.` },
  });

  const dup = await k.req('POST', url, { encryption: LUKS });
  assert.equal(dup.status, 400);
  assert.equal(dup.body.badRequest.message, `Volume type encryption for type ${enc.id} already exists.`);

  const updated = await k.req('PUT', `${url}/anything`, { encryption: { key_size: 512, cipher: null } });
  assert.equal(updated.status, 200);
  assert.deepEqual(updated.body, { encryption: { key_size: 512, cipher: null } });
  const after = (await k.req('GET', url)).body;
  assert.equal(after.key_size, 512);
  assert.equal(after.cipher, null);
  assert.equal(after.provider, 'luks');
  assert.match(after.updated_at, TIMESTAMP);

  const del = await k.req('DELETE', `${url}/whatever`);
  assert.equal(del.status, 202);
  assert.equal(del.text, '');
  assert.deepEqual((await k.req('GET', url)).body, {});
  const delAgain = await k.req('DELETE', `${url}/whatever`);
  assert.equal(delAgain.status, 404);
  assert.equal(
    delAgain.body.itemNotFound.message,
    `Volume type encryption for type ${enc.id} does not exist.`,
  );
  const updateNone = await k.req('PUT', `${url}/x`, { encryption: { provider: 'a' } });
  assert.equal(updateNone.status, 404);
  assert.equal(
    updateNone.body.itemNotFound.message,
    `Volume type encryption for type ${enc.id} does not exist.`,
  );

  // Extra keys are accepted and echoed, but only the spec's columns are stored.
  const extra = await k.req('POST', url, {
    encryption: { provider: 'luks', control_location: 'back-end', foo: 'bar', key_size: null },
  });
  assert.equal(extra.status, 200);
  assert.equal(extra.body.encryption.foo, 'bar');
  assert.equal((await k.req('GET', url)).body.foo, undefined);
  await k.notifications.waitForEvents(['volume_type_encryption.create', 'volume_type_encryption.update']);
});

test('validation and missing types', async (t) => {
  const k = await startForTest(t);
  const enc = await createType(k, 'enc');
  const url = `/v3/admin/types/${enc.id}/encryption`;
  const cases: [string, string, unknown, string][] = [
    [
      'POST',
      url,
      { encryption: { control_location: 'back-end' } },
      "Invalid input for field/attribute encryption. Value: {'control_location': 'back-end'}. 'provider' is a required property",
    ],
    [
      'POST',
      url,
      { encryption: { provider: 'luks', control_location: 'middle' } },
      "Invalid input for field/attribute control_location. Value: middle. 'middle' is not one of ['front-end', 'back-end']",
    ],
    ['POST', url, {}, "'encryption' is a required property"],
    [
      'POST',
      url,
      { encryption: { provider: 'luks', control_location: 'back-end', key_size: 'abc' } },
      'Invalid input received: key_size must be an integer.',
    ],
    [
      'PUT',
      `${url}/x`,
      { encryption: { key_size: '1.5' } },
      'Invalid input received: key_size must be an integer.',
    ],
    [
      'PUT',
      `${url}/x`,
      { encryption: { key_size: -1 } },
      'Invalid input for field/attribute key_size. Value: -1. -1 is less than the minimum of 0',
    ],
    [
      'PUT',
      `${url}/x`,
      { encryption: { key_size: 1.5 } },
      "Invalid input for field/attribute key_size. Value: 1.5. 1.5 is not of type 'string', 'integer', 'null'",
    ],
  ];
  for (const [method, path, body, message] of cases) {
    const r = await k.req(method, path, body);
    assert.equal(r.status, 400, `${method} ${JSON.stringify(body)}`);
    assert.deepEqual(r.body, { badRequest: { code: 400, message } }, `${method} ${JSON.stringify(body)}`);
  }
  assert.deepEqual((await k.req('GET', url)).body, {}, 'nothing was created');

  const typeMissing = `Volume type ${MISSING} could not be found.`;
  for (const [method, path, body] of [
    ['GET', `/v3/admin/types/${MISSING}/encryption`, undefined],
    ['POST', `/v3/admin/types/${MISSING}/encryption`, { encryption: LUKS }],
    ['PUT', `/v3/admin/types/${MISSING}/encryption/x`, { encryption: { provider: 'a' } }],
    ['GET', `/v3/admin/types/${MISSING}/encryption/provider`, undefined],
  ] as const) {
    const r = await k.req(method, path, body);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.body.itemNotFound.message, typeMissing, `${method} ${path}`);
  }
  // Delete looks for the spec only, as Cinder's does.
  const delMissing = await k.req('DELETE', `/v3/admin/types/${MISSING}/encryption/x`);
  assert.equal(delMissing.status, 404);
  assert.equal(
    delMissing.body.itemNotFound.message,
    `Volume type encryption for type ${MISSING} does not exist.`,
  );
});

test('a type in use keeps its spec; an encrypted type cannot make volumes without a key manager', async (t) => {
  const k = await startForTest(t);
  const enc = await createType(k, 'enc');
  const url = `/v3/admin/types/${enc.id}/encryption`;
  const v = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, volume_type: 'enc' } });
  assert.equal(v.status, 202, v.text);
  await waitForVolumeStatus(k, v.body.volume.id, ['available']);

  const create = await k.req('POST', url, { encryption: LUKS });
  assert.equal(create.status, 400);
  assert.equal(create.body.badRequest.message, 'Cannot create encryption specs. Volume type in use.');
  assert.equal((await k.req('DELETE', `/v3/admin/volumes/${v.body.volume.id}`)).status, 202);
  await waitForGone(k, v.body.volume.id);

  assert.equal((await k.req('POST', url, { encryption: LUKS })).status, 200);
  assert.equal(await createEncryptionKey(k.db, (await createType(k, 'plain')).id), null);
  await assert.rejects(createEncryptionKey(k.db, enc.id), { message: 'Key manager error', code: 400 });
  // Through the API: the create is refused before any quota is taken.
  const refused = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, volume_type: 'enc' } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.badRequest.message, 'Key manager error');
  await k.req('PUT', `${url}/x`, { encryption: { cipher: null } });
  await assert.rejects(createEncryptionKey(k.db, enc.id), { message: 'Invalid encryption spec', code: 400 });

  // A volume of the type made before the spec blocks updates and deletes of it.
  await k.db.updateTable('encryption').set({ deleted: 1 }).where('volume_type_id', '=', enc.id).execute();
  const v2 = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, volume_type: 'enc' } });
  assert.equal(v2.status, 202, v2.text);
  await waitForVolumeStatus(k, v2.body.volume.id, ['available']);
  await k.db.updateTable('encryption').set({ deleted: 0 }).where('volume_type_id', '=', enc.id).execute();
  const upd = await k.req('PUT', `${url}/x`, { encryption: { provider: 'luks' } });
  assert.equal(upd.status, 400);
  assert.equal(upd.body.badRequest.message, 'Cannot update encryption specs. Volume type in use.');
  const del = await k.req('DELETE', `${url}/x`);
  assert.equal(del.status, 400);
  assert.equal(del.body.badRequest.message, 'Cannot delete encryption specs. Volume type in use.');
});

async function waitForGone(k: TestKindling, id: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await k.req('GET', `/v3/admin/volumes/${id}`)).status === 404) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`volume ${id} was not deleted`);
}
