/**
 * The RBD backend through the API: a Kindling with a `ceph` backend (volume_driver = rbd, on the
 * real single-node Ceph of scripts/ceph-up.sh, started once for this file) beside a `file` backend.
 * Each volume operation is checked on the cluster with `rbd info --format json` (size, order,
 * parent) and by reading back bytes written with `rbd import-diff`; backups of rbd volumes go
 * through the embedded backup service (posix store) and come back onto rbd and file volumes.
 * Skipped, with the reason, only when the ceph packages cannot be installed here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GiB } from '../../src/volume/driver.js';
import {
  mv,
  startTestKindling,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';
import { availableBackup, readVolume, waitForBackupStatus } from '../api/backups-support.js';
import { waitForSnapshotStatus } from '../support/snapshots.js';
import {
  rbd,
  rbdInfo,
  rbdLs,
  rbdRead,
  rbdSnaps,
  rbdWrite,
  restartCeph,
  startCeph,
  stopCeph,
  stopMon,
  type TestCeph,
} from '../volume/rbd-ceph.js';
import { MiB, pattern } from '../volume/volume-bytes.js';

const started = await startCeph();
const skip = 'skip' in started ? started.skip : false;
const ceph = started as TestCeph;
const SLOW = 60_000; // a create that cannot reach Ceph waits out its timeout, then is rescheduled
let k: TestKindling;
let rbdType = '';
let fileType = '';

before(async () => {
  if (skip) return;
  k = await startTestKindling({
    KINDLING__DEFAULT__enabled_backends: 'ceph,file',
    KINDLING__ceph__volume_driver: 'rbd',
    KINDLING__ceph__volume_backend_name: 'ceph',
    KINDLING__ceph__rbd_pool: ceph.pool,
    KINDLING__ceph__rbd_ceph_conf: ceph.conf,
    KINDLING__ceph__rbd_keyring_conf: ceph.keyring,
    KINDLING__ceph__rados_connect_timeout: '3',
    KINDLING__file__volume_driver: 'file',
    KINDLING__file__volume_backend_name: 'file',
  });
  rbdType = await volumeType('on-ceph', { volume_backend_name: 'ceph' });
  fileType = await volumeType('on-file', { volume_backend_name: 'file' });
});
after(async () => {
  if (skip) return;
  await k?.close();
  stopCeph(ceph);
});

async function volumeType(name: string, extraSpecs: Record<string, string>): Promise<string> {
  const r = await k.req('POST', '/v3/admin/types', { volume_type: { name, extra_specs: extraSpecs } });
  assert.equal(r.status, 200, r.text);
  return r.body.volume_type.id as string;
}

/** POST /volumes with `body`; the new volume's id. */
async function create(body: Record<string, unknown>): Promise<string> {
  const r = await k.req('POST', '/v3/admin/volumes', { volume: body });
  assert.equal(r.status, 202, r.text);
  return r.body.volume.id as string;
}

async function createAvailable(body: Record<string, unknown>): Promise<any> {
  return waitForVolumeStatus(k, await create(body), ['available'], SLOW);
}

async function action(id: string, body: unknown, version = '3.0'): Promise<void> {
  const r = await k.req('POST', `/v3/admin/volumes/${id}/action`, body, mv(version));
  assert.equal(r.status, 202, r.text);
}

async function deleteVolume(id: string): Promise<void> {
  assert.equal((await k.req('DELETE', `/v3/admin/volumes/${id}`)).status, 202);
  await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${id}`)).status === 404, SLOW);
}

const image = (id: string) => `volume-${id}`;
const A = pattern(11);
const B = pattern(12);
const C = pattern(13);
const ZERO = Buffer.alloc(A.length);
const FAR = 100 * MiB;

test('an rbd and a file backend side by side: volume_backend_name picks the backend', { skip }, async () => {
  const pools = (await k.req('GET', '/v3/admin/scheduler-stats/get_pools?detail=true')).body.pools as any[];
  const byName = Object.fromEntries(pools.map((p) => [p.name.split('@')[1], p.capabilities]));
  assert.equal(byName['ceph#ceph']?.storage_protocol, 'ceph');
  assert.equal(byName['ceph#ceph']?.thin_provisioning_support, true);
  assert.equal(typeof byName['ceph#ceph']?.free_capacity_gb, 'number');
  assert.equal(byName['file#file']?.storage_protocol, 'file');

  const onCeph = await createAvailable({ size: 1, volume_type: rbdType });
  const onFile = await createAvailable({ size: 1, volume_type: fileType });
  assert.match(onCeph['os-vol-host-attr:host'], /@ceph#ceph$/);
  assert.match(onFile['os-vol-host-attr:host'], /@file#file$/);
  assert.equal((await rbdInfo(ceph, image(onCeph.id)))?.size, GiB);
  assert.equal(await rbdInfo(ceph, image(onFile.id)), null);
  assert.ok(existsSync(join(k.core.config.backends.file!.file_volume_dir, image(onFile.id))));
  await deleteVolume(onCeph.id);
  assert.equal(await rbdInfo(ceph, image(onCeph.id)), null);
  await deleteVolume(onFile.id);
});

test(
  'create, extend, snapshot, volume from snapshot, clone, revert, delete — as RBD images',
  { skip },
  async () => {
    // create: volume-<id>, 1 GiB, 4 MiB objects (order 22)
    const src = await createAvailable({ size: 1, volume_type: rbdType, name: 'src' });
    let info = await rbdInfo(ceph, image(src.id));
    assert.deepEqual([info?.size, info?.order, info?.parent], [GiB, 22, undefined]);
    await rbdWrite(ceph, image(src.id), 0, A);

    // extend
    await action(src.id, { 'os-extend': { new_size: 2 } });
    await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${src.id}`)).body.volume.size === 2);
    await waitForVolumeStatus(k, src.id, ['available']);
    assert.equal((await rbdInfo(ceph, image(src.id)))?.size, 2 * GiB);

    // snapshot: a protected RBD snapshot snapshot-<id>
    const sr = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: src.id } });
    assert.equal(sr.status, 202, sr.text);
    const snapId = sr.body.snapshot.id as string;
    await waitForSnapshotStatus(k, snapId, ['available']);
    assert.deepEqual(await rbdSnaps(ceph, image(src.id)), [{ name: `snapshot-${snapId}`, protected: true }]);
    await rbdWrite(ceph, image(src.id), 0, B); // after the snapshot

    // volume from the snapshot: a copy-on-write clone of it, grown to 3 GiB, with the snapshot's bytes
    const fromSnap = await createAvailable({ size: 3, snapshot_id: snapId });
    assert.match(fromSnap['os-vol-host-attr:host'], /@ceph#ceph$/);
    info = await rbdInfo(ceph, image(fromSnap.id));
    assert.deepEqual(
      [info?.size, info?.order, info?.parent?.image, info?.parent?.snapshot],
      [3 * GiB, 22, image(src.id), `snapshot-${snapId}`],
    );
    assert.ok((await rbdRead(ceph, image(fromSnap.id), 0, A.length)).equals(A), 'bytes of the snapshot');

    // clone of the volume: through a temporary snapshot <clone>.clone_snap, with the volume's bytes now
    const clone = await createAvailable({ size: 2, source_volid: src.id });
    info = await rbdInfo(ceph, image(clone.id));
    assert.deepEqual(
      [info?.size, info?.order, info?.parent?.image, info?.parent?.snapshot],
      [2 * GiB, 22, image(src.id), `${image(clone.id)}.clone_snap`],
    );
    assert.ok((await rbdRead(ceph, image(clone.id), 0, B.length)).equals(B), 'bytes of the source');

    // revert to the snapshot: the bytes written after it are gone
    await action(src.id, { revert: { snapshot_id: snapId } }, '3.40');
    await waitForVolumeStatus(k, src.id, ['available']);
    await waitForSnapshotStatus(k, snapId, ['available']);
    assert.ok((await rbdRead(ceph, image(src.id), 0, A.length)).equals(A));
    assert.equal((await rbdInfo(ceph, image(src.id)))?.size, 2 * GiB);

    // the snapshot has a clone: deleting it leaves it available, as Cinder (SnapshotIsBusy)
    assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${snapId}`)).status, 202);
    await waitForSnapshotStatus(k, snapId, ['available']);
    assert.ok((await rbdSnaps(ceph, image(src.id))).some((s) => s.name === `snapshot-${snapId}`));

    // once its clone is deleted, it goes
    await deleteVolume(fromSnap.id);
    assert.equal(await rbdInfo(ceph, image(fromSnap.id)), null);
    assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${snapId}`)).status, 202);
    await waitForSnapshotStatus(k, snapId, ['deleted']);
    assert.deepEqual(
      (await rbdSnaps(ceph, image(src.id))).map((s) => s.name),
      [`${image(clone.id)}.clone_snap`],
    );

    // the source has a clone: deleted in Kindling, kept in Ceph as .deleted for its clone's sake
    await deleteVolume(src.id);
    assert.deepEqual(
      (await rbdLs(ceph)).filter((n) => n.startsWith(image(src.id))),
      [`${image(src.id)}.deleted`],
    );
    assert.ok((await rbdRead(ceph, image(clone.id), 0, B.length)).equals(B), 'the clone keeps its data');

    // deleting the clone takes the leftover with it
    await deleteVolume(clone.id);
    assert.deepEqual(
      (await rbdLs(ceph)).filter((n) => n.startsWith(image(src.id)) || n.startsWith(image(clone.id))),
      [],
    );
  },
);

test(
  'backups of rbd volumes: rbd export to the posix store; restores into new and existing rbd volumes, from-backup creates, onto a file volume',
  { skip },
  async () => {
    const src = await createAvailable({ size: 1, volume_type: rbdType, name: 'backed-up' });
    await rbdWrite(ceph, image(src.id), 0, A);
    await rbdWrite(ceph, image(src.id), FAR, B);
    const backup = await availableBackup(k, src.id);
    assert.equal(backup.size, 1);
    assert.equal((await waitForVolumeStatus(k, src.id, ['available'], SLOW)).status, 'available');
    /** The backup's bytes are in `id`'s image; `zeroAt` reads as zeros. */
    const assertRestored = async (id: string, zeroAt: number[] = []) => {
      assert.ok((await rbdRead(ceph, image(id), 0, A.length)).equals(A), 'bytes at 0');
      assert.ok((await rbdRead(ceph, image(id), FAR, B.length)).equals(B), 'bytes far in');
      for (const at of zeroAt)
        assert.ok((await rbdRead(ceph, image(id), at, A.length)).equals(ZERO), `zeros at ${at}`);
    };
    const restore = async (body: Record<string, unknown>): Promise<string> => {
      const r = await k.req('POST', `/v3/admin/backups/${backup.id}/restore`, { restore: body });
      assert.equal(r.status, 202, r.text);
      await waitForVolumeStatus(k, r.body.restore.volume_id, ['available'], SLOW);
      await waitForBackupStatus(k, backup.id, ['available']);
      return r.body.restore.volume_id as string;
    };

    // into a new volume, of the project's default type (here the rbd one): a thin image
    const setDefault = await k.req(
      'PUT',
      '/v3/default-types/admin',
      { default_type: { volume_type: rbdType } },
      mv('3.62'),
    );
    assert.equal(setDefault.status, 200, setDefault.text);
    let fresh: string;
    try {
      fresh = await restore({});
    } finally {
      await k.req('DELETE', '/v3/default-types/admin', undefined, mv('3.62'));
    }
    const freshVol = (await k.req('GET', `/v3/admin/volumes/${fresh}`)).body.volume;
    assert.match(freshVol['os-vol-host-attr:host'], /@ceph#ceph$/);
    assert.equal(freshVol.metadata.src_backup_id, backup.id);
    await assertRestored(fresh);
    const du = JSON.parse(await rbd(ceph, 'du', '--format', 'json', `${ceph.pool}/${image(fresh)}`)) as {
      images: { used_size: number }[];
    };
    assert.ok(
      du.images[0]!.used_size <= 8 * MiB,
      `a restored 1 GiB image uses ${du.images[0]!.used_size} bytes`,
    );

    // into an existing rbd volume written elsewhere: in place (same image, its snapshot kept), and
    // where the backup has zeros the old bytes are gone
    const target = await createAvailable({ size: 1, volume_type: rbdType, name: 'target' });
    await rbdWrite(ceph, image(target.id), 0, C);
    await rbdWrite(ceph, image(target.id), 50 * MiB, C);
    const sr = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: target.id } });
    assert.equal(sr.status, 202, sr.text);
    await waitForSnapshotStatus(k, sr.body.snapshot.id, ['available']);
    assert.equal(await restore({ volume_id: target.id }), target.id);
    await assertRestored(target.id, [50 * MiB]);
    assert.ok(
      (await rbdRead(ceph, `${image(target.id)}@snapshot-${sr.body.snapshot.id}`, 50 * MiB, C.length)).equals(
        C,
      ),
    );

    // a volume created from the backup (3.47) on the rbd backend
    const c = await k.req(
      'POST',
      '/v3/admin/volumes',
      { volume: { backup_id: backup.id, size: 1, volume_type: rbdType } },
      mv('3.47'),
    );
    assert.equal(c.status, 202, c.text);
    const fromBackup = await waitForVolumeStatus(k, c.body.volume.id, ['available'], SLOW);
    assert.match(fromBackup['os-vol-host-attr:host'], /@ceph#ceph$/);
    assert.equal((await rbdInfo(ceph, image(fromBackup.id)))?.size, GiB);
    await assertRestored(fromBackup.id);

    // onto the file backend
    const onFile = await createAvailable({ size: 1, volume_type: fileType });
    await restore({ volume_id: onFile.id });
    assert.deepEqual(await readVolume(k, onFile.id, 0, A.length), A);
    assert.deepEqual(await readVolume(k, onFile.id, FAR, B.length), B);
  },
);

test(
  'Ceph unreachable (monitor stopped): create fails fast to error with a message; back up, creates work',
  { skip },
  async () => {
    stopMon(ceph);
    let failed: string;
    try {
      const t0 = performance.now();
      failed = await create({ size: 1, volume_type: rbdType });
      await waitForVolumeStatus(k, failed, ['error'], SLOW);
      const took = performance.now() - t0;
      assert.ok(took < 30_000, `error after ${Math.round(took)} ms`);
    } finally {
      restartCeph(ceph);
    }
    const messages = (await k.req('GET', `/v3/admin/messages?resource_uuid=${failed}`, undefined, mv('3.3')))
      .body.messages as { event_id: string; user_message: string }[];
    assert.ok(
      messages.some(
        (m) =>
          m.event_id === 'VOLUME_VOLUME_008_012' &&
          m.user_message === 'create volume from backend storage:Driver failed to create the volume.',
      ),
      JSON.stringify(messages.map((m) => m.user_message)),
    );

    const ok = await createAvailable({ size: 1, volume_type: rbdType });
    assert.equal((await rbdInfo(ceph, image(ok.id)))?.size, GiB);
    await deleteVolume(failed);
  },
);
