/**
 * The file driver on a reflink-capable filesystem: an xfs (`-m reflink=1`) image file that the
 * test makes, loop-mounts and removes. Needs root, mkfs.xfs and mount; skipped otherwise.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDriver } from '../../src/volume/drivers/file-driver.js';
import { GiB, volumeName, type DriverVolume } from '../../src/volume/driver.js';
import { MiB, allocatedBytes, isZeroAt, pattern, readAt, writeAt } from './volume-bytes.js';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip =
  process.getuid?.() !== 0
    ? 'needs root to loop-mount an xfs image'
    : !has('mkfs.xfs')
      ? 'mkfs.xfs not installed (xfsprogs): cannot make a reflink-capable filesystem'
      : !has('mount') || !has('umount')
        ? 'mount/umount not available'
        : false;

const OFFSETS = [0, 2 * GiB, 10 * GiB - MiB];
const BULK = 3 * GiB; // 64 MiB at 3 GiB: enough that a full copy would show in free space
const LATE = 5 * GiB; // written only after the snapshot

let work = '';
let mnt = '';
let mounted = false;

before(() => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'kindling-xfs-'));
  const img = join(work, 'xfs.img');
  mnt = join(work, 'mnt');
  mkdirSync(mnt);
  execFileSync('truncate', ['-s', '1G', img]);
  execFileSync('mkfs.xfs', ['-q', '-f', '-m', 'reflink=1', img]);
  execFileSync('mount', ['-o', 'loop', img, mnt]);
  mounted = true;
});

after(() => {
  // mount -o loop sets autoclear: the loop device goes with the unmount. If the unmount fails,
  // the work directory is left alone rather than emptied through the mount.
  if (mounted) execFileSync('umount', [mnt]);
  if (work) rmSync(work, { recursive: true, force: true });
});

function vol(id: string, size: number): DriverVolume {
  return { id, name: volumeName(id), size, host: 'h@xfs#xfs', provider_location: null };
}

function assertHasPreSnapshotData(path: string) {
  OFFSETS.forEach((off, i) => assert.ok(readAt(path, off).equals(pattern(i + 1)), `bytes at ${off}`));
  assert.ok(readAt(path, BULK, 64 * MiB).equals(pattern(50, 64 * MiB)), 'bulk region');
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

test('xfs reflink=1: snapshots, clones and reverts are reflinks', { skip }, async (t) => {
  const dir = join(mnt, 'vols');
  const methods: string[] = [];
  const d = new FileDriver({
    volume_backend_name: 'xfs',
    file_volume_dir: dir,
    reserved_percentage: 0,
    max_over_subscription_ratio: '20.0',
    log: { info: (obj: any) => obj.method && methods.push(obj.method) },
  });
  await d.doSetup();
  assert.equal(d.reflinkSupported(), true);
  assert.equal((await d.getVolumeStats(true)).pools[0]!.reflink_support, true);

  const v = vol('src', 10);
  await d.createVolume(v);
  const vp = join(dir, v.name);
  OFFSETS.forEach((off, i) => writeAt(vp, off, pattern(i + 1)));
  writeAt(vp, BULK, pattern(50, 64 * MiB));

  // Snapshot: a reflink, read-only, sharing the volume's extents.
  const s = { id: 'x1', name: 'snapshot-x1', volume: v };
  const freeBefore = freeBytes(dir);
  await d.createSnapshot(s);
  assert.equal(d.copyMethod(), 'reflink');
  const sp = join(dir, 'snapshot-x1');
  assert.equal(statSync(sp).mode & 0o777, 0o444);
  assert.equal(statSync(sp).size, 10 * GiB);
  assert.ok(freeBefore - freeBytes(dir) < 16 * MiB, 'the snapshot shares the 67 MiB of data');

  writeAt(vp, OFFSETS[1]!, pattern(101));
  writeAt(vp, LATE, pattern(102));
  assert.ok(readAt(sp, OFFSETS[1]!).equals(pattern(2)), 'copy-on-write: the snapshot keeps its bytes');

  // Volume from snapshot, grown to 12 GiB.
  const n = vol('fromsnap', 12);
  await d.createVolumeFromSnapshot(n, s);
  assert.equal(d.copyMethod(), 'reflink');
  const np = join(dir, n.name);
  assertHasPreSnapshotData(np);
  assert.ok(isZeroAt(np, LATE), 'post-snapshot data is not in the new volume');
  assert.equal(statSync(np).size, 12 * GiB);
  assert.ok(allocatedBytes(np) < 80 * MiB, `holes survive the reflink: ${allocatedBytes(np)}`);

  // A 10 GiB clone: milliseconds, whatever the size.
  const c = vol('clone', 10);
  const t0 = performance.now();
  await d.createClonedVolume(c, v);
  t.diagnostic(`10 GiB reflink clone: ${(performance.now() - t0).toFixed(1)} ms`);
  assert.equal(d.copyMethod(), 'reflink');
  const cp = join(dir, c.name);
  assert.ok(readAt(cp, OFFSETS[1]!).equals(pattern(101)));
  assert.ok(readAt(cp, LATE).equals(pattern(102)));
  assert.equal(statSync(cp).size, 10 * GiB);
  writeAt(cp, 0, pattern(200));
  assert.ok(readAt(vp, 0).equals(pattern(1)), 'writing the clone leaves the source alone');

  // Revert the source: back to the snapshot, same size.
  await d.revertToSnapshot(v, s);
  assert.equal(d.copyMethod(), 'reflink');
  assertHasPreSnapshotData(vp);
  assert.ok(isZeroAt(vp, LATE));
  assert.equal(statSync(vp).size, 10 * GiB);
  assert.equal(statSync(vp).mode & 0o777, 0o644);

  await d.extendVolume(v, 11);
  assert.equal(statSync(vp).size, 11 * GiB);

  await d.deleteSnapshot(s);
  await d.deleteSnapshot(s);
  assertHasPreSnapshotData(np);
  assertHasPreSnapshotData(vp);
  assert.deepEqual(methods, ['reflink', 'reflink', 'reflink', 'reflink'], 'each copy logged as a reflink');
});
