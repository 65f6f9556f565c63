/**
 * A backup keeps its volume's metadata, name and description, and a restore puts them back as
 * Cinder's does: the metadata always (it replaces the target's), the name and description only
 * onto a volume the restore made itself. A backup whose kept metadata is of an unknown version
 * fails to restore, leaving the backup usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mv, startTestKindling, waitForVolumeStatus } from '../support/kindling.js';
import { availableVolume } from '../support/snapshots.js';
import { BACKUP_WAIT_MS, availableBackup, waitForBackupStatus } from './backups-support.js';

const META = { 'vol-meta1': 'value1', 'vol-meta2': 'value2' };

/** Restores backup `id` (into `volumeId`, or a new volume) and waits until it is over. */
async function restore(k: any, id: string, body: Record<string, unknown> = {}): Promise<any> {
  const r = await k.req('POST', `/v3/admin/backups/${id}/restore`, { restore: body });
  assert.equal(r.status, 202, r.text);
  await waitForBackupStatus(k, id, ['available']);
  return waitForVolumeStatus(
    k,
    r.body.restore.volume_id,
    ['available', 'error', 'error_restoring'],
    BACKUP_WAIT_MS,
  );
}

test('restore puts the backed-up volume metadata back; name and description only on a restore-made volume', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { name: 'source', description: 'the source', metadata: META });
  const b = await availableBackup(k, v.id);

  // A new volume made by the restore: metadata, name and description of the source.
  const fresh = await restore(k, b.id);
  assert.equal(fresh.status, 'available');
  assert.deepEqual(fresh.metadata, { ...META, src_backup_id: b.id });
  assert.equal(fresh.name, 'source');
  assert.equal(fresh.description, 'the source');

  // A new volume named in the request keeps its name.
  const named = await restore(k, b.id, { name: 'mine' });
  assert.equal(named.name, 'mine');
  assert.deepEqual(named.metadata, { ...META, src_backup_id: b.id });

  // An existing volume: its metadata is replaced by the backed-up one, its name stays.
  const target = await availableVolume(k, { name: 'target', metadata: { old: 'gone' } });
  const over = await restore(k, b.id, { volume_id: target.id });
  assert.equal(over.status, 'available');
  assert.equal(over.name, 'target');
  assert.deepEqual(over.metadata, { ...META, src_backup_id: b.id });

  // Restoring into the backed-up volume itself: its metadata as it was, no src_backup_id.
  assert.equal(
    (await k.req('PUT', `/v3/admin/volumes/${v.id}/metadata`, { metadata: { changed: 'yes' } })).status,
    200,
  );
  const self = await restore(k, b.id, { volume_id: v.id });
  assert.deepEqual(self.metadata, META);

  // A volume created from the backup (3.47) gets the metadata too.
  const c = await k.req('POST', '/v3/admin/volumes', { volume: { backup_id: b.id } }, mv('3.47'));
  assert.equal(c.status, 202, c.text);
  const fromBackup = await waitForVolumeStatus(k, c.body.volume.id, ['available'], BACKUP_WAIT_MS);
  assert.deepEqual(fromBackup.metadata, { ...META, src_backup_id: b.id });
  assert.equal(fromBackup.name, 'source');
});

test('kept metadata of an unknown version: the restore fails, the backup stays available', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { metadata: META });
  const b = await availableBackup(k, v.id);
  const dir = join(k.stateDir, 'backup', b.container);
  const file = join(
    dir,
    (await readdir(dir)).find((f) => f.endsWith('_metadata'))!,
  );
  const stored = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(JSON.parse(stored.volume_meta)['volume-metadata'], META);
  stored.volume_meta = JSON.stringify({ version: 99, 'volume-metadata': { x: 'y' } });
  await writeFile(file, JSON.stringify(stored));

  const failed = await restore(k, b.id);
  assert.equal(failed.status, 'error_restoring');
  assert.deepEqual(failed.metadata, {});
  assert.equal((await waitForBackupStatus(k, b.id, ['available'])).status, 'available');
  const messages = (await k.req('GET', `/v3/admin/messages?resource_uuid=${b.id}`, undefined, mv('3.3'))).body
    .messages;
  assert.deepEqual(
    messages.map((m: any) => m.user_message),
    ['restore backup:Backup driver failed to restore backup.'],
  );
});
