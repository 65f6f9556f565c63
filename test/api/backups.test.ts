/**
 * Backups end to end through the API: create (full, incremental, of a snapshot), the views,
 * restore into a new or an existing volume, create a volume from a backup (3.47), delete, and the
 * data itself: bytes written into the volume's file before the backup are in the restored volume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mv, startTestKindling, waitForVolumeStatus } from '../support/kindling.js';
import { availableSnapshot, availableVolume } from '../support/snapshots.js';
import {
  BACKUP_WAIT_MS,
  GiB,
  MiB,
  availableBackup,
  pattern,
  readVolume,
  waitForBackupStatus,
  writeVolume,
} from './backups-support.js';

test('backup and restore: the bytes come back, zeros stay zeros, the store holds only the data', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  const head = pattern('head');
  const middle = pattern('middle', 64 * 1024 + 17);
  const tail = pattern('tail', 4096);
  await writeVolume(k, v.id, 0, head);
  await writeVolume(k, v.id, 300 * MiB + 5, middle);
  await writeVolume(k, v.id, GiB - tail.length, tail);

  const c = await k.req('POST', '/v3/admin/backups', {
    backup: { volume_id: v.id, name: '  nightly  ', description: 'first' },
  });
  assert.equal(c.status, 202, c.text);
  assert.deepEqual(Object.keys(c.body.backup).sort(), ['id', 'links', 'name']);
  assert.equal(c.body.backup.name, 'nightly');
  const id = c.body.backup.id;
  assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.status, 'backing-up');

  const b = await waitForBackupStatus(k, id, ['available']);
  assert.equal(b.size, 1);
  assert.equal(b.volume_id, v.id);
  assert.equal(b.description, 'first');
  assert.equal(b.is_incremental, false);
  assert.equal(b.has_dependent_backups, false);
  assert.equal(b.container, `${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`);
  assert.ok(b.object_count >= 2, `the three written ranges are apart: ${b.object_count} objects`);
  assert.equal(b.data_timestamp, b.created_at);
  const after = await waitForVolumeStatus(k, v.id, ['available'], BACKUP_WAIT_MS);
  assert.equal(after.status, 'available');

  // The posix store: objects plus Cinder's two metadata files, far smaller than the volume.
  const dir = join(k.stateDir, 'backup', b.container);
  const files = await readdir(dir);
  assert.ok(files.some((f) => f.endsWith('_metadata')) && files.some((f) => f.endsWith('_sha256file')));
  assert.equal(files.filter((f) => /-\d{5}$/.test(f)).length, b.object_count);
  let stored = 0;
  for (const f of files) stored += (await stat(join(dir, f))).size;
  assert.ok(stored < 4 * MiB, `a sparse 1 GiB volume is stored in ${stored} bytes`);

  // Restore into a new volume: named after the backup, its data as it was.
  const r = await k.req('POST', `/v3/admin/backups/${id}/restore`, { restore: {} });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.body.restore.backup_id, id);
  assert.equal(r.body.restore.volume_name, `restore_backup_${id}`);
  // The restore is over when the backup is `available` again (the new volume may show `available`
  // before the backup service has started writing into it).
  assert.equal((await waitForBackupStatus(k, id, ['available'])).status, 'available');
  const restored = await waitForVolumeStatus(k, r.body.restore.volume_id, ['available'], BACKUP_WAIT_MS);
  assert.equal(restored.size, 1);
  assert.equal(restored.description, 'auto-created_from_restore_from_backup');
  assert.equal(restored.metadata.src_backup_id, id);
  assert.deepEqual(await readVolume(k, restored.id, 0, head.length), head);
  assert.deepEqual(await readVolume(k, restored.id, 300 * MiB + 5, middle.length), middle);
  assert.deepEqual(await readVolume(k, restored.id, GiB - tail.length, tail.length), tail);
  assert.equal((await waitForBackupStatus(k, id, ['available'])).status, 'available');

  // Restore over an existing, larger volume: what the backup had as zeros is zeros again, the
  // part beyond the backup's size is left alone.
  const target = await availableVolume(k, { size: 2, name: 'target' });
  await writeVolume(k, target.id, 100 * MiB, pattern('garbage', 8192));
  await writeVolume(k, target.id, GiB + MiB, pattern('beyond'));
  const r2 = await k.req('POST', `/v3/admin/backups/${id}/restore`, { restore: { volume_id: target.id } });
  assert.equal(r2.status, 202, r2.text);
  assert.deepEqual(r2.body, { restore: { backup_id: id, volume_id: target.id, volume_name: 'target' } });
  assert.equal((await k.req('GET', `/v3/admin/volumes/${target.id}`)).body.volume.status, 'restoring-backup');
  await waitForVolumeStatus(k, target.id, ['available'], BACKUP_WAIT_MS);
  assert.deepEqual(await readVolume(k, target.id, 0, head.length), head);
  assert.deepEqual(await readVolume(k, target.id, 100 * MiB, 8192), Buffer.alloc(8192));
  assert.deepEqual(await readVolume(k, target.id, GiB + MiB, 4096), pattern('beyond'));

  // Notifications of the whole life.
  const ofBackup = (type: string) => (n: { event_type: string; payload: Record<string, unknown> }) =>
    n.event_type === type && n.payload.backup_id === id;
  for (const e of ['backup.create.start', 'backup.create.end', 'backup.restore.start', 'backup.restore.end'])
    await k.notifications.waitFor(ofBackup(e));

  const d = await k.req('DELETE', `/v3/admin/backups/${id}`);
  assert.equal(d.status, 202, d.text);
  await waitForBackupStatus(k, id, ['deleted']);
  const gone = await k.notifications.waitFor(ofBackup('backup.delete.end'));
  assert.equal(gone.payload.status, 'deleted');
  assert.deepEqual(
    (await readdir(join(k.stateDir, 'backup'))).filter((n) => n !== '.tmp'),
    [],
    'the objects and the empty container directories are gone',
  );
});

test('create a volume from a backup (3.47): restored through the backup service, src_backup_id set', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  const data = pattern('from-backup', 12345);
  await writeVolume(k, v.id, 7 * MiB, data);
  const b = await availableBackup(k, v.id);

  const c = await k.req('POST', '/v3/admin/volumes', { volume: { backup_id: b.id, size: 2 } }, mv('3.47'));
  assert.equal(c.status, 202, c.text);
  assert.equal(c.body.volume.status, 'creating');
  const nv = await waitForVolumeStatus(k, c.body.volume.id, ['available'], BACKUP_WAIT_MS);
  assert.equal(nv.size, 2);
  assert.equal(nv.metadata.src_backup_id, b.id);
  assert.deepEqual(await readVolume(k, nv.id, 7 * MiB, data.length), data);
  assert.equal((await waitForBackupStatus(k, b.id, ['available'])).status, 'available');

  // Size defaults to the backup's.
  const dflt = await k.req('POST', '/v3/admin/volumes', { volume: { backup_id: b.id } }, mv('3.47'));
  assert.equal(dflt.status, 202, dflt.text);
  assert.equal(dflt.body.volume.size, 1);
  await waitForVolumeStatus(k, dflt.body.volume.id, ['available'], BACKUP_WAIT_MS);
  // Before 3.47 the field means nothing (schemas before 3.53 let unknown keys through).
  const old = await k.req('POST', '/v3/admin/volumes', { volume: { backup_id: b.id, size: 1 } }, mv('3.46'));
  assert.equal(old.status, 202, old.text);
  const plain = await waitForVolumeStatus(k, old.body.volume.id, ['available'], BACKUP_WAIT_MS);
  assert.deepEqual(plain.metadata, {});
  const missing = '11111111-1111-4111-8111-111111111111';
  const nf = await k.req('POST', '/v3/admin/volumes', { volume: { backup_id: missing } }, mv('3.47'));
  assert.deepEqual(nf.body, {
    itemNotFound: { code: 404, message: `Backup ${missing} could not be found.` },
  });

  // A backup that is not available cannot be a source.
  await k.db.updateTable('backups').set({ status: 'error' }).where('id', '=', b.id).execute();
  const bad = await k.req('POST', '/v3/admin/volumes', { volume: { backup_id: b.id } }, mv('3.47'));
  assert.deepEqual(bad.body, {
    badRequest: {
      code: 400,
      message: "Invalid backup: Originating backup status must be one of 'available' values",
    },
  });
});

test('incremental backups store what changed, restore the whole chain, and pin their parent', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  const first = pattern('first', 100 * 1024);
  await writeVolume(k, v.id, 10 * MiB, first);
  const full = await availableBackup(k, v.id, { name: 'full' });

  const second = pattern('second', 4096);
  await writeVolume(k, v.id, 500 * MiB, second);
  await writeVolume(k, v.id, 10 * MiB, Buffer.alloc(4096)); // zeroed after the full backup
  const inc = await availableBackup(k, v.id, { name: 'inc', incremental: true });
  assert.equal(inc.is_incremental, true);
  assert.equal(inc.object_count, 2, 'only the two changed blocks');
  const parent = (await k.req('GET', `/v3/admin/backups/${full.id}`)).body.backup;
  assert.equal(parent.has_dependent_backups, true);

  const del = await k.req('DELETE', `/v3/admin/backups/${full.id}`);
  assert.deepEqual(del.body, {
    badRequest: { code: 400, message: 'Invalid backup: Incremental backups exist for this backup.' },
  });

  const r = await k.req('POST', `/v3/admin/backups/${inc.id}/restore`, { restore: { name: 'chain' } });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.body.restore.volume_name, 'chain');
  const nv = await waitForVolumeStatus(k, r.body.restore.volume_id, ['available'], BACKUP_WAIT_MS);
  // The restore is over once the backup is `available` again (it follows the volume's status).
  await waitForBackupStatus(k, inc.id, ['available']);
  assert.deepEqual(await readVolume(k, nv.id, 10 * MiB, 4096), Buffer.alloc(4096));
  assert.deepEqual(await readVolume(k, nv.id, 10 * MiB + 4096, first.length - 4096), first.subarray(4096));
  assert.deepEqual(await readVolume(k, nv.id, 500 * MiB, second.length), second);

  // The incremental goes first, then the full backup may go.
  assert.equal((await k.req('DELETE', `/v3/admin/backups/${inc.id}`)).status, 202);
  await waitForBackupStatus(k, inc.id, ['deleted']);
  const again = (await k.req('GET', `/v3/admin/backups/${full.id}`)).body.backup;
  assert.equal(again.has_dependent_backups, false);
  assert.equal((await k.req('DELETE', `/v3/admin/backups/${full.id}`)).status, 202);
  await waitForBackupStatus(k, full.id, ['deleted']);
});

test('a backup of a snapshot holds the snapshot’s data; the snapshot is backing-up meanwhile', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  const before = pattern('before-snapshot');
  await writeVolume(k, v.id, 0, before);
  const s = await availableSnapshot(k, v.id);
  await writeVolume(k, v.id, 0, pattern('after-snapshot'));

  const c = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: v.id, snapshot_id: s.id } });
  assert.equal(c.status, 202, c.text);
  const snapNow = (await k.req('GET', `/v3/admin/snapshots/${s.id}`)).body.snapshot.status;
  assert.ok(['backing-up', 'available'].includes(snapNow), snapNow);
  const b = await waitForBackupStatus(k, c.body.backup.id, ['available']);
  assert.equal(b.snapshot_id, s.id);
  assert.equal(b.data_timestamp, s.created_at);
  assert.equal((await k.req('GET', `/v3/admin/snapshots/${s.id}`)).body.snapshot.status, 'available');
  assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.status, 'available');

  const r = await k.req('POST', `/v3/admin/backups/${b.id}/restore`, { restore: {} });
  const nv = await waitForVolumeStatus(k, r.body.restore.volume_id, ['available'], BACKUP_WAIT_MS);
  await waitForBackupStatus(k, b.id, ['available']);
  assert.deepEqual(await readVolume(k, nv.id, 0, before.length), before);
});
