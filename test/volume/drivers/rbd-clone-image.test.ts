/**
 * The RBD driver's `clone_image` decisions without a cluster: Cinder's `_parse_location` rules,
 * which locations are cloneable, which location is tried, and the commands a clone runs (object
 * size, flatten, resize) — against a fake `rbd` that answers `info` from a table and records calls.
 * The real thing runs against Ceph and Glance in test/e2e/images-rbd.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageUnacceptable, RbdImageNotFound, RbdPermissionDenied } from '../../../src/common/errors.js';
import type { DriverVolume } from '../../../src/volume/driver.js';
import type { CephCli } from '../../../src/volume/drivers/rbd-cli.js';
import type { RbdImageInfo } from '../../../src/volume/drivers/rbd-json.js';
import {
  cloneImage,
  cloneableSnapshot,
  parseRbdLocation,
  type CloneImageDeps,
} from '../../../src/volume/drivers/rbd-clone-image.js';

const FSID = 'a7f64266-0894-4f1e-a635-d0aeaca0e993';
const MiB = 1024 ** 2;
const RAW = { disk_format: 'raw', container_format: 'bare' };

function info(size: number, extra: Partial<RbdImageInfo> = {}): RbdImageInfo {
  return { name: 'x', size, order: 23, object_size: 8 * MiB, features: ['layering'], ...extra };
}

/** A fake cluster: `rbd info` answers from `images` (a missing one is ENOENT); every call is kept. */
function fake(images: Record<string, RbdImageInfo | 'denied'>, opts: Partial<CloneImageDeps> = {}) {
  const calls: string[][] = [];
  const answer = (args: readonly string[]) => {
    calls.push([...args]);
    if (args[0] !== 'info') return '';
    const found = images[args[1]!];
    if (found === 'denied') throw new RbdPermissionDenied(`rbd info ${args[1]}`, 13, 'Permission denied');
    if (!found) throw new RbdImageNotFound(`rbd info ${args[1]}`, 2, 'No such file or directory');
    return found;
  };
  const cli = {
    rbd: async (args: readonly string[]) => {
      answer(args);
      return '';
    },
    rbdJson: async (args: readonly string[]) => answer(args),
  } as unknown as CephCli;
  const d: CloneImageDeps = {
    cli,
    pool: 'volumes',
    chunkSizeMiB: 4,
    flattenFromSnapshot: false,
    maxCloneDepth: 5,
    fsid: async () => FSID,
    setup: async () => null,
    log: { info: () => undefined },
    ...opts,
  };
  return { d, calls };
}

const vol: DriverVolume = {
  id: 'v1',
  name: 'volume-v1',
  size: 2,
  host: 'h@ceph#ceph',
  provider_location: null,
};
const url = (image = 'img1', pool = 'images') => `rbd://${FSID}/${pool}/${image}/snap`;

test('_parse_location: rbd://fsid/pool/image/snap, URL-decoded, four non-empty parts', () => {
  assert.deepEqual(parseRbdLocation(`rbd://${FSID}/my%20pool/img/snap`), [FSID, 'my pool', 'img', 'snap']);
  for (const [bad, why] of [
    ['file:///var/lib/glance/images/x', 'Not stored in rbd'],
    [`rbd://${FSID}//img/snap`, 'Blank components'],
    [`rbd://${FSID}/images/img`, 'Not an rbd snapshot'],
    [`rbd://${FSID}/images/img/snap/more`, 'Not an rbd snapshot'],
    [`rbd://${FSID}/images/%zz/snap`, 'Malformed escape'],
  ] as const)
    assert.throws(
      () => parseRbdLocation(bad),
      (e: Error) => e instanceof ImageUnacceptable && e.message.includes(why),
      bad,
    );
});

test('_is_cloneable: the same cluster, raw, bare (Kindling), a snapshot the backend can open', async () => {
  const { d } = fake({ 'images/img1@snap': info(5 * MiB), 'images/locked@snap': 'denied' });
  assert.ok('info' in (await cloneableSnapshot(d, url(), RAW)));
  assert.ok('info' in (await cloneableSnapshot(d, url(), { disk_format: 'raw' })), 'no container_format');
  const why = async (loc: string, meta: Record<string, unknown>) => {
    const r = await cloneableSnapshot(d, loc, meta);
    return 'why' in r ? r.why : null;
  };
  assert.match((await why(`rbd://other-fsid/images/img1/snap`, RAW))!, /different ceph cluster/);
  assert.match((await why(url(), { ...RAW, disk_format: 'qcow2' }))!, /requires image format to be 'raw'/);
  assert.match((await why(url(), { ...RAW, container_format: 'ova' }))!, /"ova" container/);
  assert.match((await why(url('gone'), RAW))!, /Unable to open image/);
  assert.match((await why(url('locked'), RAW))!, /Unable to open image/);
  assert.match((await why('file:///x', RAW))!, /Not stored in rbd/);
});

test('clone_image: the first cloneable location; rbd clone with the larger object size, then resize', async () => {
  const { d, calls } = fake({ 'images/img1@snap': info(5 * MiB, { object_size: 8 * MiB }) });
  const r = await cloneImage(
    d,
    vol,
    { directUrl: url(), locations: [{ url: 'file:///var/lib/glance/img1' }, { url: url() }] },
    RAW,
  );
  assert.deepEqual(r, { update: null, cloned: true });
  assert.deepEqual(calls, [
    ['info', 'images/img1@snap'],
    ['clone', '--object-size', String(8 * MiB), 'images/img1@snap', 'volumes/volume-v1'],
    ['resize', '--no-progress', '--size', '2G', 'volumes/volume-v1'],
  ]);
  // A small image object size: rbd_store_chunk_size wins.
  const small = fake({ 'images/img1@snap': info(MiB, { object_size: MiB, stripe_unit: MiB }) });
  await cloneImage(small.d, vol, { directUrl: url(), locations: [] }, RAW);
  assert.equal(small.calls[1]![2], String(4 * MiB));
  // An image of exactly the volume's size: no resize (the CLI refuses one to the same size).
  const exact = fake({ 'images/img1@snap': info(2 * 1024 * MiB) });
  await cloneImage(exact.d, vol, { directUrl: url(), locations: [] }, RAW);
  assert.deepEqual(
    exact.calls.map((c) => c[0]),
    ['info', 'clone'],
  );
});

test('clone_image: nothing cloneable, nothing done; direct_url only when Glance shows no locations', async () => {
  const { d, calls } = fake({ 'images/img1@snap': info(MiB) });
  assert.deepEqual(await cloneImage(d, vol, { directUrl: url(), locations: [{ url: 'file:///x' }] }, RAW), {
    update: null,
    cloned: false,
  });
  assert.deepEqual(await cloneImage(d, vol, { directUrl: null, locations: [] }, RAW), {
    update: null,
    cloned: false,
  });
  assert.deepEqual(await cloneImage(d, vol, { directUrl: url(), locations: [] }, { disk_format: 'qcow2' }), {
    update: null,
    cloned: false,
  });
  assert.deepEqual(calls, []);
});

test('clone_image flattens when rbd_flatten_volume_from_snapshot, or rbd_max_clone_depth = 0, or a deep image', async () => {
  const flat = (opts: Partial<CloneImageDeps>, images: Record<string, RbdImageInfo> = {}) =>
    fake({ 'images/img1@snap': info(MiB), ...images }, opts);
  const flattened = async (f: ReturnType<typeof flat>) => {
    await cloneImage(f.d, vol, { directUrl: url(), locations: [] }, RAW);
    return f.calls.some((c) => c[0] === 'flatten');
  };
  assert.equal(await flattened(flat({})), false, 'the defaults keep the clone');
  assert.equal(await flattened(flat({ flattenFromSnapshot: true })), true);
  assert.equal(await flattened(flat({ maxCloneDepth: 0 })), true);
  // An image that is itself a clone two deep, with rbd_max_clone_depth 2.
  const parent = { pool: 'images', image: 'base', snapshot: 's' };
  const deep = flat(
    { maxCloneDepth: 2 },
    {
      'images/img1@snap': info(MiB, { parent }),
      'images/base': info(MiB, { parent: { pool: 'other', image: 'root', snapshot: 's' } }),
      'other/root': info(MiB),
    },
  );
  assert.equal(await flattened(deep), true);
  assert.equal(
    await flattened(
      flat({ maxCloneDepth: 3 }, { 'images/img1@snap': info(MiB, { parent }), 'images/base': info(MiB) }),
    ),
    false,
  );
});
