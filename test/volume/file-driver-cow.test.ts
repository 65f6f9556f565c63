/**
 * Snapshots, clones, revert and extend of the file driver on the state directory's filesystem
 * (ext4 here: no reflink, so every copy is the sparse full copy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDriver } from '../../src/volume/drivers/file-driver.js';
import { probeReflink } from '../../src/volume/drivers/file-copy.js';
import { GiB, volumeName, type DriverVolume } from '../../src/volume/driver.js';
import { MiB, allocatedBytes, isZeroAt, pattern, readAt, writeAt } from './volume-bytes.js';

const OFFSETS = [0, 300 * MiB, GiB - MiB];
const LATE = 600 * MiB; // written only after the snapshot

async function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-cow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vols = join(dir, 'vols');
  const lines: { obj: any; msg: string }[] = [];
  const d = new FileDriver({
    volume_backend_name: 'file',
    file_volume_dir: vols,
    reserved_percentage: 0,
    max_over_subscription_ratio: '20.0',
    log: { info: (obj, msg) => lines.push({ obj, msg }) },
  });
  await d.doSetup();
  const vol = (id: string, size: number): DriverVolume => ({
    id,
    name: volumeName(id),
    size,
    host: 'h@file#file',
    provider_location: null,
  });
  const snap = (id: string, volume: DriverVolume) => ({ id, name: `snapshot-${id}`, volume });
  const path = (name: string) => join(vols, name);
  return { d, vols, lines, vol, snap, path };
}

/** A 1 GiB volume with 1 MiB of known bytes at each of OFFSETS (seeds 1..n). */
async function volumeWithData(ctx: Awaited<ReturnType<typeof setup>>, id: string) {
  const v = ctx.vol(id, 1);
  await ctx.d.createVolume(v);
  OFFSETS.forEach((off, i) => writeAt(ctx.path(v.name), off, pattern(i + 1)));
  return v;
}

function assertHasPreSnapshotData(path: string) {
  OFFSETS.forEach((off, i) => assert.ok(readAt(path, off).equals(pattern(i + 1)), `bytes at ${off}`));
}

test('ext4 state dir: the probe finds no reflink and stats say so', async (t) => {
  const ctx = await setup(t);
  assert.equal(await probeReflink(ctx.vols), false);
  assert.equal(ctx.d.reflinkSupported(), false);
  assert.equal((await ctx.d.getVolumeStats(true)).pools[0]!.reflink_support, false);
  assert.deepEqual(
    readdirSync(ctx.vols).filter((n) => n.includes('probe')),
    [],
    'the probe leaves nothing behind',
  );
});

test('snapshot then volume from snapshot: a sparse copy with the pre-snapshot bytes only', async (t) => {
  const ctx = await setup(t);
  const v = await volumeWithData(ctx, 'src1');
  const s = ctx.snap('s1', v);
  const upd = await ctx.d.createSnapshot(s);
  const snapPath = ctx.path('snapshot-s1');
  assert.equal(upd?.provider_location, snapPath);
  assert.equal(ctx.d.copyMethod(), 'sparse');
  assert.equal(statSync(snapPath).mode & 0o777, 0o444, 'snapshot is read-only');
  assert.equal(statSync(snapPath).size, GiB);

  // The volume changes after the snapshot: one region overwritten, one new.
  writeAt(ctx.path(v.name), OFFSETS[1]!, pattern(101));
  writeAt(ctx.path(v.name), LATE, pattern(102));

  const n = ctx.vol('new1', 1);
  const nu = await ctx.d.createVolumeFromSnapshot(n, s);
  const np = ctx.path(n.name);
  assert.equal(nu?.provider_location, np);
  assert.equal(ctx.d.copyMethod(), 'sparse');
  assertHasPreSnapshotData(np);
  assert.ok(isZeroAt(np, LATE), 'a region written after the snapshot is not in the new volume');
  assert.equal(statSync(np).size, GiB);
  assert.equal(statSync(np).mode & 0o777, 0o644, 'the new volume is writable');
  const data = OFFSETS.length * MiB;
  assert.ok(
    allocatedBytes(np) >= data && allocatedBytes(np) < data + 4 * MiB,
    `allocated ${allocatedBytes(np)}`,
  );
  assert.ok(allocatedBytes(snapPath) < data + 4 * MiB, `snapshot allocated ${allocatedBytes(snapPath)}`);

  // The snapshot itself did not follow the volume.
  assert.ok(readAt(snapPath, OFFSETS[1]!).equals(pattern(2)));
  const logged = ctx.lines.filter((l) => l.obj.method === 'sparse' && l.obj.dst === np);
  assert.equal(logged.length, 1, 'the copy is logged with its method');
});

test('clone: the source as it is now, sparse, independent of the source', async (t) => {
  const ctx = await setup(t);
  const src = await volumeWithData(ctx, 'src2');
  writeAt(ctx.path(src.name), LATE, pattern(102));
  const c = ctx.vol('clone2', 1);
  const upd = await ctx.d.createClonedVolume(c, src);
  const cp = ctx.path(c.name);
  assert.equal(upd?.provider_location, cp);
  assert.equal(ctx.d.copyMethod(), 'sparse');
  assertHasPreSnapshotData(cp);
  assert.ok(readAt(cp, LATE).equals(pattern(102)));
  assert.equal(statSync(cp).size, GiB);
  const data = (OFFSETS.length + 1) * MiB;
  assert.ok(allocatedBytes(cp) < data + 4 * MiB, `allocated ${allocatedBytes(cp)}`);

  writeAt(cp, 0, pattern(200));
  assert.ok(readAt(ctx.path(src.name), 0).equals(pattern(1)), 'writing the clone leaves the source alone');
});

test('a larger target extends; a smaller one is refused and leaves nothing', async (t) => {
  const ctx = await setup(t);
  const src = await volumeWithData(ctx, 'src3');
  const s = ctx.snap('s3', src);
  await ctx.d.createSnapshot(s);

  const big = ctx.vol('big3', 3);
  await ctx.d.createVolumeFromSnapshot(big, s);
  assert.equal(statSync(ctx.path(big.name)).size, 3 * GiB);
  assertHasPreSnapshotData(ctx.path(big.name));
  assert.ok(isZeroAt(ctx.path(big.name), 2 * GiB), 'the grown tail reads as zeros');
  assert.ok(allocatedBytes(ctx.path(big.name)) < (OFFSETS.length + 4) * MiB);

  const bigClone = ctx.vol('bigc3', 2);
  await ctx.d.createClonedVolume(bigClone, src);
  assert.equal(statSync(ctx.path(bigClone.name)).size, 2 * GiB);
  assertHasPreSnapshotData(ctx.path(bigClone.name));

  // A 2 GiB source cannot go into a 1 GiB volume.
  const small = ctx.vol('small3', 1);
  await assert.rejects(ctx.d.createClonedVolume(small, bigClone), /cannot hold/);
  assert.ok(!existsSync(ctx.path(small.name)));
  assert.deepEqual(
    readdirSync(ctx.vols).filter((n) => n.endsWith('.part')),
    [],
  );
});

test('revert: the volume gets the snapshot content back and keeps its size and mode', async (t) => {
  const ctx = await setup(t);
  const v = await volumeWithData(ctx, 'src4');
  const s = ctx.snap('s4', v);
  await ctx.d.createSnapshot(s);
  const vp = ctx.path(v.name);
  writeAt(vp, OFFSETS[0]!, pattern(101));
  writeAt(vp, LATE, pattern(102));

  await ctx.d.revertToSnapshot(v, s);
  assert.equal(ctx.d.copyMethod(), 'sparse');
  assertHasPreSnapshotData(vp);
  assert.ok(isZeroAt(vp, LATE), 'data written after the snapshot is gone');
  assert.equal(statSync(vp).size, GiB);
  assert.equal(statSync(vp).mode & 0o777, 0o644, 'still writable, not the snapshot mode');
  assert.ok(allocatedBytes(vp) < (OFFSETS.length + 4) * MiB);
  assert.ok(existsSync(ctx.path('snapshot-s4')), 'the snapshot stays');

  // The volume was grown after the snapshot (direct call; Cinder's API refuses this revert):
  // the content comes back, the size does not shrink.
  await ctx.d.extendVolume(v, 2);
  writeAt(vp, LATE, pattern(103));
  await ctx.d.revertToSnapshot({ ...v, size: 2 }, s);
  assert.equal(statSync(vp).size, 2 * GiB);
  assertHasPreSnapshotData(vp);
  assert.ok(isZeroAt(vp, LATE));

  // The reverted volume is a volume like any other: writes land, the snapshot does not change.
  writeAt(vp, 0, pattern(104));
  assert.ok(readAt(ctx.path('snapshot-s4'), 0).equals(pattern(1)));
});

test('extend grows only: same size is a no-op, smaller is an error that changes nothing', async (t) => {
  const ctx = await setup(t);
  const v = await volumeWithData(ctx, 'src5');
  const vp = ctx.path(v.name);
  await ctx.d.extendVolume(v, 4);
  assert.equal(statSync(vp).size, 4 * GiB);
  assertHasPreSnapshotData(vp);
  await ctx.d.extendVolume(v, 4);
  assert.equal(statSync(vp).size, 4 * GiB);
  await assert.rejects(ctx.d.extendVolume(v, 2), /shrinking is not supported/);
  assert.equal(statSync(vp).size, 4 * GiB);
  assertHasPreSnapshotData(vp);
});

test('delete snapshot removes the file; deleting it again succeeds; its clones survive', async (t) => {
  const ctx = await setup(t);
  const v = await volumeWithData(ctx, 'src6');
  const s = ctx.snap('s6', v);
  await ctx.d.createSnapshot(s);
  const n = ctx.vol('new6', 1);
  await ctx.d.createVolumeFromSnapshot(n, s);
  await ctx.d.deleteSnapshot(s);
  assert.ok(!existsSync(ctx.path('snapshot-s6')));
  await ctx.d.deleteSnapshot(s);
  assertHasPreSnapshotData(ctx.path(n.name));
  assertHasPreSnapshotData(ctx.path(v.name));
});

test('re-runs after a crash replace partial files and give the same result', async (t) => {
  const ctx = await setup(t);
  const v = await volumeWithData(ctx, 'src7');
  const s = ctx.snap('s7', v);

  // A crashed snapshot run left a partial copy behind.
  writeFileSync(ctx.path('.snapshot-s7.part'), 'partial');
  await ctx.d.createSnapshot(s);
  assert.equal(statSync(ctx.path('snapshot-s7')).size, GiB);
  assert.ok(!existsSync(ctx.path('.snapshot-s7.part')));
  // A resumed run over a finished read-only snapshot replaces it.
  await ctx.d.createSnapshot(s);
  assertHasPreSnapshotData(ctx.path('snapshot-s7'));
  assert.equal(statSync(ctx.path('snapshot-s7')).mode & 0o777, 0o444);

  const n = ctx.vol('new7', 1);
  writeFileSync(ctx.path('.volume-new7.part'), 'partial');
  await ctx.d.createVolumeFromSnapshot(n, s);
  await ctx.d.createVolumeFromSnapshot(n, s);
  assertHasPreSnapshotData(ctx.path(n.name));
  assert.equal(statSync(ctx.path(n.name)).size, GiB);

  const c = ctx.vol('clone7', 1);
  await ctx.d.createClonedVolume(c, v);
  await ctx.d.createClonedVolume(c, v);
  assertHasPreSnapshotData(ctx.path(c.name));

  await ctx.d.revertToSnapshot(v, s);
  await ctx.d.revertToSnapshot(v, s);
  assertHasPreSnapshotData(ctx.path(v.name));

  assert.deepEqual(
    readdirSync(ctx.vols).filter((name) => name.startsWith('.')),
    [],
    'no temporary files left',
  );
  // Only volumes count as provisioned; snapshots are not volumes.
  assert.equal((await ctx.d.getVolumeStats(true)).pools[0]!.provisioned_capacity_gb, 3);
});

test('a snapshot of a missing volume fails and leaves no snapshot file', async (t) => {
  const ctx = await setup(t);
  const v = ctx.vol('ghost', 1);
  await assert.rejects(ctx.d.createSnapshot(ctx.snap('s8', v)));
  assert.ok(!existsSync(ctx.path('snapshot-s8')));
  assert.deepEqual(readdirSync(ctx.vols), []);
});
