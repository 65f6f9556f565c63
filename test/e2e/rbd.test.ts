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
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    // cinderlib-style attach data (user and keyring in it), so os-brick can open the image here.
    KINDLING__ceph__rbd_user: 'admin',
    KINDLING__ceph__rbd_keyring_in_connection_info: 'true',
    KINDLING__ceph__rados_connect_timeout: '3',
    KINDLING__file__volume_driver: 'file',
    KINDLING__file__volume_backend_name: 'file',
  });
  // The file's tests keep some of their volumes (backups, restores) to the end; more than the
  // default quota of 10, which is not what they test.
  const q = await k.req('PUT', '/v3/admin/os-quota-sets/admin', {
    quota_set: { volumes: -1, gigabytes: -1, snapshots: -1 },
  });
  assert.equal(q.status, 200, q.text);
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
  assert.equal(byName['file#file']?.storage_protocol, 'iSCSI');

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

test(
  "attach an rbd volume: the attachment's connection info opens the image with os-brick (librbd)",
  { skip: skip || osBrickMissing() },
  async () => {
    const id = await create({ size: 1, volume_type: rbdType });
    await waitForVolumeStatus(k, id, ['available']);
    const data = pattern(41);
    await rbdWrite(ceph, `volume-${id}`, 3 * MiB, data);
    const connector = { initiator: 'iqn.1993-08.org.debian:01:rbdtest', ip: '127.0.0.1', host: 'rbdtest' };
    const r = await k.req(
      'POST',
      '/v3/admin/attachments',
      { attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector } },
      mv('3.27'),
    );
    assert.equal(r.status, 200, r.text);
    const info = r.body.attachment.connection_info;
    assert.equal(info.driver_volume_type, 'rbd');
    assert.equal(info.name, `${ceph.pool}/volume-${id}`);
    assert.equal(info.access_mode, 'rw');
    assert.equal(info.attachment_id, r.body.attachment.id);
    assert.equal(readThroughOsBrick(info, 3 * MiB, data.length), data.toString('hex'));
    const done = await k.req(
      'POST',
      `/v3/admin/attachments/${r.body.attachment.id}/action`,
      { 'os-complete': null },
      mv('3.44'),
    );
    assert.equal(done.status, 204);
    assert.equal((await waitForVolumeStatus(k, id, ['in-use'])).attachments.length, 1);
    // The legacy call answers the same data, nested.
    const legacy = await k.req('POST', `/v3/admin/volumes/${id}/action`, {
      'os-initialize_connection': { connector },
    });
    assert.equal(legacy.status, 200, legacy.text);
    assert.equal(legacy.body.connection_info.driver_volume_type, 'rbd');
    assert.equal(legacy.body.connection_info.data.name, info.name);
    const gone = await k.req(
      'DELETE',
      `/v3/admin/attachments/${r.body.attachment.id}`,
      undefined,
      mv('3.27'),
    );
    assert.deepEqual(gone.body, { attachments: [] });
    await waitForVolumeStatus(k, id, ['available']);
  },
);

test(
  'manage: an image made by rbd create is adopted with its bytes, its snapshot too; unmanage leaves them',
  { skip },
  async () => {
    const pools = (await k.req('GET', '/v3/admin/scheduler-stats/get_pools')).body.pools as {
      name: string;
    }[];
    const pool = pools.find((p) => p.name.endsWith('@ceph#ceph'))!.name;
    const host = pool.slice(0, pool.indexOf('#'));
    const legacy = `legacy-${randomUUID().slice(0, 8)}`;
    await rbd(ceph, 'create', '--size', '1536M', `${ceph.pool}/${legacy}`);
    await rbdWrite(ceph, legacy, 0, A);
    await rbdWrite(ceph, legacy, FAR, B);
    await rbd(ceph, 'snap', 'create', `${ceph.pool}/${legacy}@before`);
    await rbdWrite(ceph, legacy, 0, C);
    const mine = await createAvailable({ size: 1, volume_type: rbdType });

    // Listed: the new image safe (1.5 GiB rounded up), Kindling's own not.
    const list = await k.req('GET', `/v3/admin/manageable_volumes/detail?host=${host}`, undefined, mv('3.8'));
    assert.equal(list.status, 200, list.text);
    const entries = list.body['manageable-volumes'] as any[];
    assert.deepEqual(
      entries.find((e) => e.reference['source-name'] === legacy),
      {
        reference: { 'source-name': legacy },
        size: 2,
        safe_to_manage: true,
        reason_not_safe: null,
        cinder_id: null,
        extra_info: null,
      },
    );
    const own = entries.find((e) => e.reference['source-name'] === image(mine.id));
    assert.deepEqual(
      [own.safe_to_manage, own.reason_not_safe, own.cinder_id],
      [false, 'already managed', mine.id],
    );
    const snaps = await k.req(
      'GET',
      `/v3/admin/manageable_snapshots/detail?host=${host}`,
      undefined,
      mv('3.8'),
    );
    assert.deepEqual(
      (snaps.body['manageable-snapshots'] as any[]).find((e) => e.reference['source-name'] === 'before'),
      {
        reference: { 'source-name': 'before' },
        size: 2,
        safe_to_manage: true,
        reason_not_safe: null,
        extra_info: null,
        cinder_id: null,
        source_reference: { 'source-name': legacy },
      },
    );

    // A name that is not there: error_managing (shown as error), nothing renamed.
    const bad = await k.req(
      'POST',
      '/v3/admin/manageable_volumes',
      { volume: { host, ref: { 'source-name': 'no-such-image' }, volume_type: rbdType } },
      mv('3.8'),
    );
    assert.equal(bad.status, 202, bad.text);
    assert.equal(
      (await waitForVolumeStatus(k, bad.body.volume.id, ['error', 'available'], SLOW)).status,
      'error',
    );

    const r = await k.req(
      'POST',
      '/v3/admin/manageable_volumes',
      { volume: { host, ref: { 'source-name': legacy }, name: 'adopted', volume_type: rbdType } },
      mv('3.8'),
    );
    assert.equal(r.status, 202, r.text);
    const v = await waitForVolumeStatus(k, r.body.volume.id, ['available', 'error'], SLOW);
    assert.equal(v.status, 'available');
    assert.equal(v.size, 2);
    assert.equal(v['os-vol-host-attr:host'], pool);
    assert.equal(await rbdInfo(ceph, legacy), null);
    assert.equal((await rbdInfo(ceph, image(v.id)))?.size, 1536 * MiB, 'the image is not resized');
    assert.deepEqual(await rbdRead(ceph, image(v.id), 0, A.length), C);
    assert.deepEqual(await rbdRead(ceph, image(v.id), FAR, B.length), B);

    // Its snapshot, adopted by name: renamed and protected; a volume made from it has its bytes.
    const ms = await k.req(
      'POST',
      '/v3/admin/manageable_snapshots',
      { snapshot: { volume_id: v.id, ref: { 'source-name': 'before' } } },
      mv('3.8'),
    );
    assert.equal(ms.status, 202, ms.text);
    const sid = ms.body.snapshot.id as string;
    await waitForSnapshotStatus(k, sid, ['available']);
    assert.deepEqual(await rbdSnaps(ceph, image(v.id)), [{ name: `snapshot-${sid}`, protected: true }]);
    const fromSnap = await createAvailable({ size: 2, snapshot_id: sid, volume_type: rbdType });
    assert.deepEqual(await rbdRead(ceph, image(fromSnap.id), 0, A.length), A);
    assert.deepEqual(await rbdRead(ceph, image(fromSnap.id), FAR, B.length), B);
    await deleteVolume(fromSnap.id);

    // Unmanage: the snapshot stays (unprotected: nothing is cloned from it), then the image stays.
    const us = await k.req('POST', `/v3/admin/snapshots/${sid}/action`, { 'os-unmanage': null });
    assert.equal(us.status, 202, us.text);
    await waitFor(async () => (await k.req('GET', `/v3/admin/snapshots/${sid}`)).status === 404, SLOW);
    await waitFor(
      async () =>
        (await rbdSnaps(ceph, image(v.id))).some((x) => x.name === `snapshot-${sid}` && !x.protected),
      SLOW,
    );
    await action(v.id, { 'os-unmanage': null });
    await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${v.id}`)).status === 404, SLOW);
    assert.deepEqual(await rbdRead(ceph, image(v.id), FAR, B.length), B);
    const after = await k.req(
      'GET',
      `/v3/admin/manageable_volumes/detail?host=${host}`,
      undefined,
      mv('3.8'),
    );
    const left = (after.body['manageable-volumes'] as any[]).find(
      (e) => e.reference['source-name'] === image(v.id),
    );
    assert.deepEqual([left.safe_to_manage, left.cinder_id], [true, null]);
    await deleteVolume(bad.body.volume.id);
    await deleteVolume(mine.id);
  },
);

/** Debian's python3-os-brick is there (the reason to skip otherwise). */
function osBrickMissing(): string | false {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import os_brick.initiator.connectors.rbd']);
  return r.status === 0 ? false : 'python3-os-brick is not installed';
}

/** `length` bytes at `offset` through os-brick's RBD connector, as hex. */
function readThroughOsBrick(info: unknown, offset: number, length: number): string {
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'os-brick-rbd.py');
  const r = spawnSync('/usr/bin/python3', [script, String(offset), String(length)], {
    input: JSON.stringify(info),
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
