/**
 * What `/backups` refuses, with Cinder's status codes and messages (checked against Cinder Zed):
 * bodies, missing resources, source and backup statuses, restore targets, microversions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, type TestKindling } from '../support/kindling.js';
import { availableSnapshot, availableVolume } from '../support/snapshots.js';
import { availableBackup } from './backups-support.js';

const MISSING = '11111111-1111-4111-8111-111111111111';

function badRequest(message: string) {
  return { badRequest: { code: 400, message } };
}

async function setStatus(
  k: TestKindling,
  table: 'volumes' | 'backups' | 'snapshots',
  id: string,
  status: string,
) {
  await k.db.updateTable(table).set({ status }).where('id', '=', id).execute();
}

test('create: body, volume and snapshot preconditions', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const post = (backup: unknown, headers: Record<string, string> = {}) =>
    k.req('POST', '/v3/admin/backups', { backup }, headers);

  assert.deepEqual(
    (await post({})).body,
    badRequest("Invalid input for field/attribute backup. Value: {}. 'volume_id' is a required property"),
  );
  assert.equal((await post({ volume_id: v.id, metadata: { a: 'b' } })).status, 400, 'metadata is 3.43+');
  assert.equal((await post({ volume_id: v.id, availability_zone: 'nova' }, mv('3.50'))).status, 400);
  assert.deepEqual((await post({ volume_id: MISSING })).body, {
    itemNotFound: { code: 404, message: `Volume ${MISSING} could not be found.` },
  });
  assert.deepEqual((await post({ volume_id: v.id, snapshot_id: MISSING })).body, {
    itemNotFound: { code: 404, message: `Snapshot ${MISSING} could not be found.` },
  });

  await setStatus(k, 'volumes', v.id, 'error');
  assert.deepEqual(
    (await post({ volume_id: v.id })).body,
    badRequest(
      'Invalid volume: Volume to be backed up must be available or in-use, but the current status is "error".',
    ),
  );
  await setStatus(k, 'volumes', v.id, 'in-use');
  assert.deepEqual(
    (await post({ volume_id: v.id })).body,
    badRequest('Invalid volume: Backing up an in-use volume must use the force flag.'),
  );
  await setStatus(k, 'volumes', v.id, 'available');

  assert.deepEqual(
    (await post({ volume_id: v.id, incremental: true })).body,
    badRequest('Invalid backup: No backups available to do an incremental backup.'),
  );

  const other = await availableVolume(k);
  const s = await availableSnapshot(k, other.id);
  assert.deepEqual(
    (await post({ volume_id: v.id, snapshot_id: s.id })).body,
    badRequest(`Invalid volume: Volume ${v.id} does not match with snapshot.volume_id ${other.id}.`),
  );
  await setStatus(k, 'snapshots', s.id, 'error');
  assert.deepEqual(
    (await post({ volume_id: other.id, snapshot_id: s.id })).body,
    badRequest(
      'Invalid snapshot: Snapshot to be backed up must be available, but the current status is "error".',
    ),
  );

  // A refused create leaves nothing behind: no row, no quota.
  assert.deepEqual((await k.req('GET', '/v3/admin/backups')).body, { backups: [] });
  const usage = await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true');
  assert.equal(usage.body.quota_set.backups.in_use, 0);
  assert.equal(usage.body.quota_set.backups.reserved, 0);

  // An incremental on a parent that is not available.
  const b = await availableBackup(k, v.id);
  await setStatus(k, 'backups', b.id, 'error');
  assert.deepEqual(
    (await post({ volume_id: v.id, incremental: true })).body,
    badRequest('Invalid backup: The parent backup must be available for incremental backup.'),
  );
});

test('restore, delete, update and show: statuses, sizes and microversions', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  const b = await availableBackup(k, v.id, { name: 'b' });
  // NOTE: a 2 GiB backup without reading 2 GiB: only its recorded size matters before a restore.
  await k.db.updateTable('backups').set({ size: 2 }).where('id', '=', b.id).execute();
  const restore = (restoreBody: unknown) =>
    k.req('POST', `/v3/admin/backups/${b.id}/restore`, { restore: restoreBody });

  const small = await availableVolume(k, { size: 1 });
  assert.deepEqual(
    (await restore({ volume_id: small.id })).body,
    badRequest('Invalid volume: volume size 1 is too small to restore backup of size 2.'),
  );
  await setStatus(k, 'volumes', small.id, 'error');
  assert.deepEqual(
    (await restore({ volume_id: small.id })).body,
    badRequest('Invalid volume: Volume to be restored to must be available'),
  );
  assert.deepEqual((await restore({ volume_id: MISSING })).body, {
    itemNotFound: { code: 404, message: `Volume ${MISSING} could not be found.` },
  });
  assert.equal((await restore({ bogus: 1 })).status, 400);
  await k.db.updateTable('backups').set({ size: 1 }).where('id', '=', b.id).execute();

  await setStatus(k, 'backups', b.id, 'creating');
  assert.deepEqual((await restore({})).body, badRequest('Invalid backup: Backup status must be available'));
  assert.deepEqual(
    (await k.req('DELETE', `/v3/admin/backups/${b.id}`)).body,
    badRequest('Invalid backup: Backup status must be available or error'),
  );
  assert.deepEqual(
    (await k.req('GET', `/v3/admin/backups/${b.id}/export_record`)).body,
    badRequest('Invalid backup: Backup status must be available and not creating.'),
  );
  await setStatus(k, 'backups', b.id, 'available');

  // Update: 3.9+, name/description, metadata from 3.43 (replacing the set).
  const put = (body: unknown, version: string) =>
    k.req('PUT', `/v3/admin/backups/${b.id}`, body, mv(version));
  assert.deepEqual((await put({ backup: { name: 'x' } }, '3.8')).body, {
    itemNotFound: { code: 404, message: 'The resource could not be found.' },
  });
  const u = await put({ backup: { name: ' renamed ', description: 'd' } }, '3.9');
  assert.equal(u.status, 200, u.text);
  assert.deepEqual(Object.keys(u.body.backup).sort(), ['id', 'links', 'name']);
  assert.equal(u.body.backup.name, 'renamed');
  assert.equal((await put({ backup: { metadata: { a: '1' } } }, '3.42')).status, 400);
  assert.equal((await put({ backup: { metadata: { a: '1', b: '2' } } }, '3.43')).status, 200);
  assert.equal((await put({ backup: { metadata: { c: '3' } } }, '3.43')).status, 200);

  const show = async (version: string) =>
    (await k.req('GET', `/v3/admin/backups/${b.id}`, undefined, mv(version))).body.backup;
  const base = await show('3.0');
  assert.deepEqual(Object.keys(base).sort(), [
    'availability_zone',
    'container',
    'created_at',
    'data_timestamp',
    'description',
    'fail_reason',
    'has_dependent_backups',
    'id',
    'is_incremental',
    'links',
    'name',
    'object_count',
    'size',
    'snapshot_id',
    'status',
    'updated_at',
    'volume_id',
  ]);
  assert.equal(base.name, 'renamed');
  assert.equal(base.description, 'd');
  const newest = await show('3.70');
  assert.deepEqual(newest.metadata, { c: '3' });
  assert.equal(newest['os-backup-project-attr:project_id'], 'admin');
  assert.equal(newest.user_id, 'admin');
  const at318 = await show('3.18');
  assert.ok('os-backup-project-attr:project_id' in at318 && !('user_id' in at318) && !('metadata' in at318));

  assert.deepEqual((await k.req('GET', `/v3/admin/backups/${MISSING}`)).body, {
    itemNotFound: { code: 404, message: `Backup ${MISSING} could not be found.` },
  });
  assert.deepEqual(
    (await k.req('POST', `/v3/admin/backups/${b.id}/action`, { 'os-bogus': {} })).body,
    badRequest(
      'There is no such action: os-bogus. Verify the request body and Content-Type header and try again.',
    ),
  );
});
