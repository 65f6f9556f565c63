/**
 * The RBD driver against a real single-node Ceph (scripts/ceph-up.sh, started once for this file
 * on free ports and removed at the end). Every operation is checked on the cluster itself with
 * the `rbd` CLI: image size, object size (order), parent, snapshots, and bytes. Skipped, with the
 * reason, only when the ceph packages cannot be installed here.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRbdOptions } from '../../src/config/rbd-options.js';
import { openDeviceReader, openDeviceWriter } from '../../src/volume/device-io.js';
import {
  CephUnreachable,
  RbdImageNotFound,
  RbdInvalidArgument,
  RbdPermissionDenied,
  SnapshotIsBusy,
  VolumeBackendAPIException,
} from '../../src/common/errors.js';
import { GiB, volumeName, type BackupDevice, type DriverVolume } from '../../src/volume/driver.js';
import { createDriver } from '../../src/volume/drivers/index.js';
import { RbdDriver } from '../../src/volume/drivers/rbd-driver.js';
import { MiB, pattern } from './volume-bytes.js';
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
} from './rbd-ceph.js';

const started = await startCeph();
const skip = 'skip' in started ? started.skip : false;
const ceph = started as TestCeph;
after(() => {
  if (!skip) stopCeph(ceph);
});

function driver(extra: Record<string, string> = {}): RbdDriver {
  return new RbdDriver({
    ...resolveRbdOptions('ceph', {
      rbd_pool: ceph.pool,
      rbd_ceph_conf: ceph.conf,
      rbd_keyring_conf: ceph.keyring,
      rados_connect_timeout: '3',
      ...extra,
    }),
    volume_backend_name: 'ceph',
    reserved_percentage: 0,
    max_over_subscription_ratio: '20.0',
  });
}

const readyDrivers = new Map<string, Promise<RbdDriver>>();
/** A set-up driver with these options (one per set of options: setup asks the slow `ceph` tool). */
function ready(extra: Record<string, string> = {}): Promise<RbdDriver> {
  const key = JSON.stringify(extra);
  let d = readyDrivers.get(key);
  if (!d) {
    const fresh = driver(extra);
    d = fresh
      .doSetup()
      .then(() => fresh.checkForSetupError())
      .then(() => fresh);
    readyDrivers.set(key, d);
  }
  return d;
}

function vol(size: number, extraSpecs: Record<string, string> = {}): DriverVolume {
  const id = randomUUID();
  return {
    id,
    name: volumeName(id),
    size,
    host: 'h@ceph#ceph',
    provider_location: null,
    volume_type_extra_specs: extraSpecs,
  };
}

function snap(volume: DriverVolume) {
  const id = randomUUID();
  return { id, name: `snapshot-${id}`, volume };
}

/** A new 1 GiB volume of `d` with `writes` (offset, bytes) written into it on the cluster. */
async function volumeWith(d: RbdDriver, ...writes: [number, Buffer][]): Promise<DriverVolume> {
  const v = vol(1);
  await d.createVolume(v);
  for (const [offset, data] of writes) await rbdWrite(ceph, v.name, offset, data);
  return v;
}

const A = pattern(1);
const B = pattern(2);
const C = pattern(3);
const FAR = 700 * MiB;

test(
  'create: an image volume-<id> of size GiB, object size from rbd_store_chunk_size; a re-run repairs',
  { skip },
  async () => {
    for (const [chunk, order] of [
      ['4', 22],
      ['8', 23],
      ['1', 20],
    ] as const) {
      const d = await ready({ rbd_store_chunk_size: chunk });
      const v = vol(1);
      assert.equal(await d.createVolume(v), null);
      const info = await rbdInfo(ceph, v.name);
      assert.equal(info?.size, GiB);
      assert.equal(info?.order, order, `chunk ${chunk} MiB`);
      assert.equal(info?.parent, undefined);
      assert.equal(await d.volumeExists(v), true);
    }
    // the cluster's default features, as Cinder takes them
    const d = await ready();
    const v = vol(2);
    await rbd(ceph, 'create', '--size', '512M', `${ceph.pool}/${v.name}`);
    await d.createVolume(v);
    assert.equal((await rbdInfo(ceph, v.name))?.size, 2 * GiB, 'a resumed create grows what it finds');
    const defaults = (
      await rbd(ceph, 'config', 'global', 'get', 'rbd_default_features').catch(() => '')
    ).trim();
    const features = (await rbdInfo(ceph, v.name))?.features ?? [];
    assert.ok(features.includes('layering'));
    if (defaults) assert.deepEqual(features.sort(), defaults.split(',').sort());
  },
);

test(
  'createDriver builds it from a backend section, by short name or Cinder class path',
  { skip },
  async () => {
    for (const name of ['rbd', 'cinder.volume.drivers.rbd.RBDDriver']) {
      const d = createDriver({
        name: 'ceph',
        volume_driver: name,
        volume_backend_name: 'ceph',
        file_volume_dir: '/nonexistent',
        reserved_percentage: 0,
        max_over_subscription_ratio: '20.0',
        extra: { rbd_pool: ceph.pool, rbd_ceph_conf: ceph.conf, rbd_store_chunk_size: '2' },
      });
      assert.ok(d instanceof RbdDriver);
      await d.doSetup();
      const v = vol(1);
      await d.createVolume(v);
      assert.equal((await rbdInfo(ceph, v.name))?.order, 21);
    }
    assert.throws(
      () =>
        createDriver({
          name: 'ceph',
          volume_driver: 'rbd',
          volume_backend_name: 'ceph',
          file_volume_dir: '/x',
          reserved_percentage: 0,
          max_over_subscription_ratio: '20.0',
          extra: { rbd_max_clone_depth: 'many' },
        }),
      /Invalid value for option rbd_max_clone_depth in group \[ceph\]/,
    );
  },
);

test(
  'setup fails on a pool that does not exist, or a cephx user the cluster does not know',
  { skip },
  async () => {
    const noPool = driver({ rbd_pool: 'nosuchpool' });
    await noPool.doSetup();
    await assert.rejects(noPool.checkForSetupError(), /Pool nosuchpool does not exist/);
    await assert.rejects(driver({ rbd_user: 'nobody' }).doSetup(), RbdPermissionDenied);
  },
);

test('extend grows the image; shrinking is refused', { skip }, async () => {
  const d = await ready();
  const v = await volumeWith(d, [0, A]);
  await d.extendVolume(v, 3);
  assert.equal((await rbdInfo(ceph, v.name))?.size, 3 * GiB);
  assert.ok((await rbdRead(ceph, v.name, 0, A.length)).equals(A), 'data kept');
  await assert.rejects(d.extendVolume({ ...v, size: 3 }, 2), RbdInvalidArgument);
  assert.equal((await rbdInfo(ceph, v.name))?.size, 3 * GiB);
});

test(
  'snapshot → volume from it: a clone of snapshot-<id> with its bytes, grown to the new size',
  { skip },
  async () => {
    const d = await ready();
    const src = await volumeWith(d, [0, A], [FAR, B]);
    const s = snap(src);
    assert.equal(await d.createSnapshot(s), null);
    assert.deepEqual(await rbdSnaps(ceph, src.name), [{ name: s.name, protected: true }]);
    await d.createSnapshot(s); // a resumed snapshot finds it taken and protected
    await rbdWrite(ceph, src.name, 0, C); // after the snapshot: not in the clone

    const dst = vol(2);
    await d.createVolumeFromSnapshot(dst, s);
    const info = await rbdInfo(ceph, dst.name);
    assert.equal(info?.size, 2 * GiB);
    assert.equal(info?.order, 22);
    assert.deepEqual(
      { image: info?.parent?.image, snapshot: info?.parent?.snapshot },
      { image: src.name, snapshot: s.name },
    );
    assert.ok((await rbdRead(ceph, dst.name, 0, A.length)).equals(A));
    assert.ok((await rbdRead(ceph, dst.name, FAR, B.length)).equals(B));
    assert.ok((await rbdRead(ceph, src.name, 0, C.length)).equals(C), 'the source keeps its own writes');

    // a clone's object size is never below its source's, nor below the chunk size
    const big = await ready({ rbd_store_chunk_size: '8' });
    const dst8 = vol(1);
    await big.createVolumeFromSnapshot(dst8, s);
    assert.equal((await rbdInfo(ceph, dst8.name))?.order, 23);
    const small = await ready({ rbd_store_chunk_size: '1' });
    const dst1 = vol(1);
    await small.createVolumeFromSnapshot(dst1, s);
    assert.equal((await rbdInfo(ceph, dst1.name))?.order, 22);
  },
);

test('rbd_flatten_volume_from_snapshot: the new volume has no parent and the bytes', { skip }, async () => {
  const d = await ready({ rbd_flatten_volume_from_snapshot: 'true' });
  const src = await volumeWith(d, [FAR, B]);
  const s = snap(src);
  await d.createSnapshot(s);
  const dst = vol(1);
  await d.createVolumeFromSnapshot(dst, s);
  assert.equal((await rbdInfo(ceph, dst.name))?.parent, undefined);
  assert.ok((await rbdRead(ceph, dst.name, FAR, B.length)).equals(B));
  await d.deleteSnapshot(s); // no clone depends on it any more
  assert.deepEqual(await rbdSnaps(ceph, src.name), []);
});

test(
  'clone of a volume: a clone of <new volume>.clone_snap of the source, with its bytes, grown',
  { skip },
  async () => {
    const d = await ready();
    const src = await volumeWith(d, [FAR, B]);
    const dst = vol(2);
    await d.createClonedVolume(dst, src);
    const info = await rbdInfo(ceph, dst.name);
    assert.equal(info?.size, 2 * GiB);
    assert.deepEqual(
      { image: info?.parent?.image, snapshot: info?.parent?.snapshot },
      { image: src.name, snapshot: `${dst.name}.clone_snap` },
    );
    assert.deepEqual(await rbdSnaps(ceph, src.name), [{ name: `${dst.name}.clone_snap`, protected: true }]);
    assert.ok((await rbdRead(ceph, dst.name, FAR, B.length)).equals(B));
  },
);

test(
  'rbd_max_clone_depth: the clone that reaches it is flattened and its temporary snapshot dropped; 0 copies',
  { skip },
  async () => {
    const d = await ready({ rbd_max_clone_depth: '2' });
    const v0 = await volumeWith(d, [0, A]);
    const v1 = vol(1);
    await d.createClonedVolume(v1, v0); // source depth 0
    const v2 = vol(1);
    await d.createClonedVolume(v2, v1); // source depth 1
    assert.equal((await rbdInfo(ceph, v2.name))?.parent?.image, v1.name);
    const v3 = vol(1);
    await d.createClonedVolume(v3, v2); // source depth 2 = limit: flattened
    assert.equal((await rbdInfo(ceph, v3.name))?.parent, undefined);
    assert.deepEqual(await rbdSnaps(ceph, v2.name), [], 'temporary snapshot dropped');
    assert.ok((await rbdRead(ceph, v3.name, 0, A.length)).equals(A));

    const copier = await ready({ rbd_max_clone_depth: '0' });
    const copy = vol(2);
    await copier.createClonedVolume(copy, v0);
    const info = await rbdInfo(ceph, copy.name);
    assert.equal(info?.parent, undefined);
    assert.equal(info?.size, 2 * GiB);
    assert.ok((await rbdRead(ceph, copy.name, 0, A.length)).equals(A));
    assert.deepEqual(
      (await rbdSnaps(ceph, v0.name)).map((s) => s.name),
      [`${v1.name}.clone_snap`],
      'a copy takes no snapshot',
    );
  },
);

test("revert: the volume gets the snapshot's bytes back", { skip }, async () => {
  const d = await ready();
  const v = await volumeWith(d, [0, A]);
  const s = snap(v);
  await d.createSnapshot(s);
  await rbdWrite(ceph, v.name, 0, B);
  await rbdWrite(ceph, v.name, FAR, C);
  await d.revertToSnapshot(v, s);
  assert.ok((await rbdRead(ceph, v.name, 0, A.length)).equals(A));
  assert.ok((await rbdRead(ceph, v.name, FAR, C.length)).every((b) => b === 0));
  assert.equal((await rbdInfo(ceph, v.name))?.size, GiB);
});

test('a snapshot with a clone is busy: it stays until the clone is gone', { skip }, async () => {
  const d = await ready();
  const src = vol(1);
  await d.createVolume(src);
  const s = snap(src);
  await d.createSnapshot(s);
  const child = vol(1);
  await d.createVolumeFromSnapshot(child, s);
  await assert.rejects(d.deleteSnapshot(s), SnapshotIsBusy);
  assert.deepEqual(await rbdSnaps(ceph, src.name), [{ name: s.name, protected: true }]);
  await d.deleteVolume(child);
  assert.equal(await rbdInfo(ceph, child.name), null);
  await d.deleteSnapshot(s);
  assert.deepEqual(await rbdSnaps(ceph, src.name), []);
  await d.deleteSnapshot(s); // gone already: fine
  await d.deleteVolume(src);
  await d.deleteVolume(src); // gone already: fine
  assert.equal(await d.volumeExists(src), false);
});

test(
  'deleting a volume whose clones need it keeps it as .deleted until the last clone goes',
  { skip },
  async () => {
    const d = await ready();
    const a = await volumeWith(d, [0, A]);
    const b = vol(1);
    await d.createClonedVolume(b, a);
    await rbdWrite(ceph, b.name, FAR, B);
    const c = vol(1);
    await d.createClonedVolume(c, b);

    await d.deleteVolume(a);
    await d.deleteVolume(b);
    assert.equal(await d.volumeExists(a), false);
    assert.equal(await d.volumeExists(b), false);
    const left = await rbdLs(ceph);
    assert.ok(left.includes(`${a.name}.deleted`) && left.includes(`${b.name}.deleted`));
    // the clone still reads its whole chain
    assert.ok((await rbdRead(ceph, c.name, 0, A.length)).equals(A));
    assert.ok((await rbdRead(ceph, c.name, FAR, B.length)).equals(B));

    await d.deleteVolume(c);
    const after = await rbdLs(ceph);
    for (const gone of [a.name, b.name, c.name].flatMap((n) => [n, `${n}.deleted`]))
      assert.ok(!after.includes(gone), `${gone} removed`);
  },
);

test(
  'deleting a volume whose snapshot has a clone moves it to the trash; the clone keeps its bytes',
  { skip },
  async () => {
    const d = await ready();
    const src = await volumeWith(d, [0, A]);
    const s = snap(src);
    await d.createSnapshot(s);
    const child = vol(1);
    await d.createVolumeFromSnapshot(child, s);
    await d.deleteVolume(src);
    assert.equal(await d.volumeExists(src), false);
    const trash = JSON.parse(await rbd(ceph, 'trash', 'ls', '--format', 'json', ceph.pool)) as {
      name: string;
    }[];
    assert.ok(trash.some((t) => t.name === src.name));
    assert.equal((await rbdInfo(ceph, child.name))?.parent?.trash, true);
    assert.ok((await rbdRead(ceph, child.name, 0, A.length)).equals(A));
  },
);

test('stats: thin pool capacity from ceph df; provisioned GiB only for a shared pool', { skip }, async () => {
  const df = JSON.parse(
    execFileSync('ceph', ['--conf', ceph.conf, 'df', '--format', 'json'], { encoding: 'utf8' }),
  ) as { pools: { name: string; stats: { stored: number; max_avail: number } }[] };
  const p = df.pools.find((x) => x.name === ceph.pool)!.stats;
  const stats = await (await ready()).getVolumeStats(true);
  assert.equal(stats.storage_protocol, 'ceph');
  assert.equal(stats.vendor_name, 'Open Source');
  const pool = stats.pools[0]!;
  assert.equal(pool.pool_name, 'ceph');
  assert.equal(pool.backend_state, 'up');
  assert.equal(pool.thin_provisioning_support, true);
  assert.equal(pool.multiattach, true);
  assert.equal(pool.provisioned_capacity_gb, undefined);
  const near = (a: unknown, b: number) =>
    assert.ok(typeof a === 'number' && Math.abs(a - b) < 0.5, `${String(a)} ≈ ${b}`);
  near(pool.free_capacity_gb, p.max_avail / GiB);
  near(pool.total_capacity_gb, (p.max_avail + p.stored) / GiB);

  const sharedDriver = await ready({ rbd_exclusive_cinder_pool: 'false' });
  await sharedDriver.createVolume(vol(3));
  const shared = (await sharedDriver.getVolumeStats(true)).pools[0]!;
  const images = JSON.parse(await rbd(ceph, 'ls', '--long', '--format', 'json', ceph.pool)) as {
    size: number;
    snapshot?: string;
  }[];
  const bytes = images.filter((i) => !i.snapshot).reduce((s, i) => s + i.size, 0);
  assert.equal(shared.provisioned_capacity_gb, Math.ceil(bytes / GiB));
  assert.ok(bytes >= 3 * GiB);
});

test("initialize_connection: Cinder's rbd connection data", { skip }, async () => {
  const fsid = JSON.parse(
    execFileSync('ceph', ['--conf', ceph.conf, 'fsid', '--format', 'json'], { encoding: 'utf8' }),
  ).fsid as string;
  const v = vol(1);
  const d = await ready();
  assert.deepEqual(await d.initializeConnection(v, { host: 'compute1' }), {
    driver_volume_type: 'rbd',
    data: {
      name: `${ceph.pool}/${v.name}`,
      hosts: ['127.0.0.1'],
      ports: [String(ceph.monPort)],
      cluster_name: 'ceph',
      auth_enabled: false,
      auth_username: null,
      secret_type: 'ceph',
      secret_uuid: fsid,
      volume_id: v.id,
      discard: true,
    },
  });
  const secret = randomUUID();
  const withUser = await ready({
    rbd_user: 'admin',
    rbd_secret_uuid: secret,
    rbd_keyring_in_connection_info: 'true',
  });
  const { data } = await withUser.initializeConnection(v, {});
  assert.equal(data.auth_enabled, true);
  assert.equal(data.auth_username, 'admin');
  assert.equal(data.secret_uuid, secret);
  assert.equal(data.keyring, readFileSync(ceph.keyring, 'utf8'));
  await withUser.terminateConnection(v, null);
});

test(
  'multiattach types: exclusive-lock and friends turned off, saved in provider_location',
  { skip },
  async () => {
    const d = await ready();
    const v = vol(1, { multiattach: '<is> True' });
    const update = await d.createVolume(v);
    const features = (await rbdInfo(ceph, v.name))?.features ?? [];
    for (const f of ['exclusive-lock', 'object-map', 'fast-diff', 'journaling'])
      assert.ok(!features.includes(f), f);
    const saved = JSON.parse(update?.provider_location ?? '{}').saved_features as number;
    assert.ok(saved & 1, 'layering was on');
    const r = vol(1, { replication_enabled: '<is> True' });
    await assert.rejects(d.createVolume(r), VolumeBackendAPIException);
    assert.equal(await rbdInfo(ceph, r.name), null, 'the image is removed again');
  },
);

/** Reads the whole device (`size` bytes) as the backup service does; returns the bytes at `ranges`. */
async function readDevice(
  device: BackupDevice,
  size: number,
  ranges: readonly [offset: number, length: number][],
): Promise<{ total: number; parts: Buffer[] }> {
  const parts = ranges.map(([, length]) => Buffer.alloc(length));
  const reader = await openDeviceReader(device, size);
  let pos = 0;
  try {
    for await (const chunk of reader.chunks()) {
      ranges.forEach(([offset, length], i) => {
        const from = Math.max(offset, pos);
        const to = Math.min(offset + length, pos + chunk.length);
        if (to > from) chunk.copy(parts[i]!, from - offset, from - pos, to - pos);
      });
      pos += chunk.length;
    }
  } finally {
    await reader.close();
  }
  return { total: pos, parts };
}

/** Restores as the backup service does: `writes` into a sparse image of the volume's size, then the command. */
async function restoreDevice(device: BackupDevice, size: number, writes: [number, Buffer][]): Promise<void> {
  const writer = await openDeviceWriter(device, size, join(tmpdir(), 'kindling-rbd-restore-test'));
  for (const [offset, data] of writes) await writer.write(data, offset);
  await writer.close();
}

test(
  'backup devices: rbd export of a volume or snapshot; a restore rewrites the image in place, snapshots and clones kept',
  { skip },
  async () => {
    const d = await ready();
    const v = await volumeWith(d, [0, A], [FAR, B]);
    const s = snap(v);
    await d.createSnapshot(s);
    await rbdWrite(ceph, v.name, 0, C);

    // backup: the whole image, as the volume has it now, and as the snapshot had it
    const now = await readDevice(await d.openVolumeForBackup(v), GiB, [
      [0, C.length],
      [FAR, B.length],
    ]);
    assert.equal(now.total, GiB);
    assert.ok(now.parts[0]!.equals(C) && now.parts[1]!.equals(B));
    // (only its head is read: the reader stops the command there)
    const then = await readDevice(await d.openSnapshotForBackup(s), A.length, [[0, A.length]]);
    assert.ok(then.parts[0]!.equals(A), 'the snapshot has the bytes from before');

    // restore into the existing image, which has a snapshot with a clone: what the restored image
    // has as zeros (where C and B were) reads as zeros; the snapshot and the clone keep theirs
    const clone = vol(1);
    await d.createVolumeFromSnapshot(clone, s);
    const at = 5 * MiB + 3;
    await restoreDevice(await d.openVolumeForRestore(v), GiB, [[at, A]]);
    assert.ok((await rbdRead(ceph, v.name, at, A.length)).equals(A));
    assert.ok((await rbdRead(ceph, v.name, 0, C.length)).equals(Buffer.alloc(C.length)));
    assert.ok((await rbdRead(ceph, v.name, FAR, B.length)).equals(Buffer.alloc(B.length)));
    assert.equal((await rbdInfo(ceph, v.name))?.size, GiB);
    assert.deepEqual(await rbdSnaps(ceph, v.name), [{ name: s.name, protected: true }]);
    assert.ok((await rbdRead(ceph, `${v.name}@${s.name}`, FAR, B.length)).equals(B));
    assert.ok((await rbdRead(ceph, clone.name, 0, A.length)).equals(A));

    // missing image or snapshot: refused before any stream; an image gone meanwhile fails the restore
    await assert.rejects(d.openVolumeForRestore(vol(1)), RbdImageNotFound);
    await assert.rejects(d.openSnapshotForBackup(snap(v)), RbdImageNotFound);
    await assert.rejects(d.openVolumeForRestore({ ...v, size: 2 }), /smaller than the volume's 2 GiB/);
    const gone = vol(1);
    await d.createVolume(gone);
    const device = await d.openVolumeForRestore(gone);
    await d.deleteVolume(gone);
    await assert.rejects(restoreDevice(device, GiB, [[0, A]]), /No such file or directory/);
  },
);

test(
  'monitor down: calls fail fast as CephUnreachable, stats say unknown; back up, they work',
  { skip },
  async () => {
    const d = await ready({ rados_connect_timeout: '2' });
    stopMon(ceph);
    try {
      const t0 = performance.now();
      await assert.rejects(d.createVolume(vol(1)), CephUnreachable);
      assert.ok(performance.now() - t0 < 10_000, `failed after ${Math.round(performance.now() - t0)} ms`);
      const pool = (await d.getVolumeStats(true)).pools[0]!;
      assert.equal(pool.free_capacity_gb, 'unknown');
      assert.equal(pool.backend_state, 'down');
    } finally {
      restartCeph(ceph);
    }
    const v = vol(1);
    await d.createVolume(v);
    assert.equal((await rbdInfo(ceph, v.name))?.size, GiB);
  },
);
