/**
 * A backup keeps its volume's image metadata and a restore puts it back, as Cinder's
 * `BackupMetadataAPI` does (`volume-glance-metadata` in the kept container): the target's image
 * metadata becomes the kept one and the target becomes bootable; a backup without any leaves the
 * target's alone. A container written by Real Cinder restores here the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mv, startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { availableVolume } from '../support/snapshots.js';
import { BACKUP_WAIT_MS, availableBackup, waitForBackupStatus } from './backups-support.js';

const IMAGE = { image_id: 'img-b', os_distro: 'debian', min_ram: '0' };

/** Restores backup `id` (into `volumeId`, or a new volume) and waits until it is over. */
async function restore(k: TestKindling, id: string, body: Record<string, unknown> = {}): Promise<any> {
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

async function setImageMetadata(k: TestKindling, id: string, metadata: Record<string, string>) {
  const r = await k.req('POST', `/v3/admin/volumes/${id}/action`, { 'os-set_image_metadata': { metadata } });
  assert.equal(r.status, 200, r.text);
}

/** The backup's `_metadata` object: its path and parsed JSON (`volume_meta` is a JSON string). */
async function metadataObject(k: TestKindling, backup: any): Promise<{ file: string; stored: any }> {
  const dir = join(k.stateDir, 'backup', backup.container);
  const file = join(
    dir,
    (await readdir(dir)).find((f) => f.endsWith('_metadata'))!,
  );
  return { file, stored: JSON.parse(await readFile(file, 'utf8')) };
}

test('a backup keeps the image metadata; restores replace the target’s and make it bootable', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { name: 'imaged' });
  await setImageMetadata(k, v.id, IMAGE);
  const b = await availableBackup(k, v.id);

  // Kept as Cinder keeps it: the container's `volume-glance-metadata`, not among the row's columns.
  const container = JSON.parse((await metadataObject(k, b)).stored.volume_meta);
  assert.equal(container.version, 2);
  assert.deepEqual(container['volume-glance-metadata'], IMAGE);
  assert.equal(container['volume-base-metadata'].id, v.id);
  for (const key of ['glance_metadata', 'volume_attachment', 'metadata'])
    assert.equal(key in container['volume-base-metadata'], false, key);

  // A new volume: the image metadata, and bootable (the source was not).
  const fresh = await restore(k, b.id);
  assert.equal(fresh.status, 'available');
  assert.equal(fresh.bootable, 'true');
  assert.deepEqual(fresh.volume_image_metadata, IMAGE);

  // An existing volume with image metadata of its own: replaced.
  const target = await availableVolume(k);
  await setImageMetadata(k, target.id, { old: 'x', image_id: 'other' });
  const over = await restore(k, b.id, { volume_id: target.id });
  assert.equal(over.bootable, 'true');
  assert.deepEqual(over.volume_image_metadata, IMAGE);

  // A volume created from the backup (3.47) gets it too.
  const c = await k.req('POST', '/v3/admin/volumes', { volume: { backup_id: b.id } }, mv('3.47'));
  assert.equal(c.status, 202, c.text);
  const fromBackup = await waitForVolumeStatus(k, c.body.volume.id, ['available'], BACKUP_WAIT_MS);
  assert.equal(fromBackup.bootable, 'true');
  assert.deepEqual(fromBackup.volume_image_metadata, IMAGE);

  // A backup without image metadata leaves the target's as it is (Cinder restores only what it kept).
  const plain = await availableVolume(k);
  const pb = await availableBackup(k, plain.id);
  assert.equal(
    'volume-glance-metadata' in JSON.parse((await metadataObject(k, pb)).stored.volume_meta),
    false,
  );
  const keeper = await availableVolume(k);
  await setImageMetadata(k, keeper.id, { keep: 'me' });
  const kept = await restore(k, pb.id, { volume_id: keeper.id });
  assert.equal(kept.bootable, 'false');
  assert.deepEqual(kept.volume_image_metadata, { keep: 'me' });
});

test('a container written by Real Cinder restores its image metadata here', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const b = await availableBackup(k, v.id);
  const { file, stored } = await metadataObject(k, b);
  // What Cinder Zed's posix driver kept for a volume with image metadata {"image_id": "img-b"}
  // (recorded from a Real Cinder backup; ids and the host shortened).
  stored.volume_meta = JSON.stringify({
    version: 2,
    'volume-base-metadata': {
      created_at: '2026-12-06T21:00:15.000000',
      updated_at: '2026-12-06T21:00:16.000000',
      deleted_at: null,
      deleted: false,
      id: '55c96035-4b08-45c5-b18f-d9296cfedb3d',
      _name_id: null,
      use_quota: true,
      ec2_id: null,
      user_id: 'd7a7aa398bec42f1b07a532d9c53e311',
      project_id: '89f540235f8146829e849597f1373349',
      snapshot_id: null,
      cluster_name: null,
      host: 'refcinder@fake1#fake1',
      size: 1,
      availability_zone: 'nova',
      status: 'backing-up',
      attach_status: 'detached',
      migration_status: null,
      scheduled_at: '2026-12-06T21:00:15.000000',
      launched_at: '2026-12-06T21:00:15.000000',
      terminated_at: null,
      display_name: 'p-26af05',
      display_description: null,
      provider_location: null,
      provider_auth: null,
      provider_geometry: null,
      provider_id: null,
      volume_type_id: '911207d4-ea16-4683-8ea4-93c9b19c998a',
      source_volid: null,
      encryption_key_id: null,
      consistencygroup_id: null,
      group_id: null,
      bootable: false,
      multiattach: false,
      replication_status: null,
      replication_extended_status: null,
      replication_driver_data: null,
      previous_status: 'available',
      service_uuid: '2319707f-f59e-45eb-be5c-abb8175cf79e',
      shared_targets: false,
    },
    'volume-glance-metadata': { image_id: 'img-b' },
  });
  await writeFile(file, JSON.stringify(stored));
  const fresh = await restore(k, b.id);
  assert.equal(fresh.status, 'available');
  assert.equal(fresh.name, 'p-26af05');
  assert.equal(fresh.bootable, 'true');
  assert.deepEqual(fresh.volume_image_metadata, { image_id: 'img-b' });
  // Version 1 containers restore it the same way.
  stored.volume_meta = JSON.stringify({ version: 1, 'volume-glance-metadata': { image_id: 'v1', k: 'x' } });
  await writeFile(file, JSON.stringify(stored));
  const target = await availableVolume(k);
  const v1 = await restore(k, b.id, { volume_id: target.id });
  assert.equal(v1.bootable, 'true');
  assert.deepEqual(v1.volume_image_metadata, { image_id: 'v1', k: 'x' });
});
