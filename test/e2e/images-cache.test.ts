/**
 * The image-volume cache with a real Glance (scripts/glance-up.sh, noauth, file store) and three
 * file backends with the cache on: `cached` (unlimited), `counted` (image_volume_cache_max_count
 * 2) and `sized` (image_volume_cache_max_size_gb 2), each chosen by a volume type, and an internal
 * tenant. Checked: a first create is a miss that leaves a cache volume `image-<image id>` of the
 * internal tenant (counted in its quota) and an entry; a second create is a hit — no download
 * (Glance's log shows one GET of the data, and the data is even gone from Glance's store) — whose
 * volume holds the image; an image updated in Glance evicts its entry and is downloaded again;
 * LRU eviction by count and by size; deleting a cache volume removes its entry. Where root can
 * loop-mount an xfs image (`-m reflink=1`), a fourth backend `reflinked` lives on it and its cache
 * volume and cache hits are checked to be reflinks (`filefrag -v`: shared extents). Skipped, with
 * the reason, only where Glance or qemu-img cannot be installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Notification } from '../../src/notify/notifier.js';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { startGlance, type TestGlance } from '../image/glance-support.js';
import { readAt, volumeFile, volumeType } from '../api/volume-actions-support.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const SLOW = 180_000; // an image create downloads and converts on a loaded machine
const INTERNAL = 'kindling-internal';
const INTERNAL_USER = 'cache-keeper';
const started = await startGlance();
const skip = 'skip' in started ? started.skip : false;
const glance = started as TestGlance;
const work = mkdtempSync(join(tmpdir(), 'kindling-images-cache-'));
let k: TestKindling;
const types: Record<string, string> = {};
/** The `reflinked` backend lives on an xfs (reflink=1) image this file loop-mounts, where it can. */
const xfsSkip =
  process.getuid?.() !== 0
    ? 'needs root to loop-mount an xfs image'
    : spawnSync('sh', ['-c', 'command -v mkfs.xfs && command -v filefrag'], { stdio: 'ignore' }).status !== 0
      ? 'mkfs.xfs or filefrag not installed (xfsprogs, e2fsprogs)'
      : false;
const xfsMount = join(work, 'xfs');
let xfsMounted = false;

before(async () => {
  if (skip) return;
  if (!xfsSkip) {
    const img = join(work, 'xfs.img');
    mkdirSync(xfsMount);
    execFileSync('truncate', ['-s', '1G', img]);
    execFileSync('mkfs.xfs', ['-q', '-f', '-m', 'reflink=1', img]);
    execFileSync('mount', ['-o', 'loop', img, xfsMount]);
    xfsMounted = true;
  }
  k = await startTestKindling({
    KINDLING__DEFAULT__glance_api_servers: glance.url,
    KINDLING__DEFAULT__enabled_backends: 'cached,counted,sized',
    KINDLING__DEFAULT__cinder_internal_tenant_project_id: INTERNAL,
    KINDLING__DEFAULT__cinder_internal_tenant_user_id: INTERNAL_USER,
    KINDLING__DEFAULT__quota_volumes: '-1',
    KINDLING__DEFAULT__quota_gigabytes: '-1',
    KINDLING__cached__volume_driver: 'file',
    KINDLING__cached__image_volume_cache_enabled: 'true',
    KINDLING__counted__volume_driver: 'file',
    KINDLING__counted__image_volume_cache_enabled: 'true',
    KINDLING__counted__image_volume_cache_max_count: '2',
    KINDLING__sized__volume_driver: 'file',
    KINDLING__sized__image_volume_cache_enabled: 'true',
    KINDLING__sized__image_volume_cache_max_size_gb: '2',
    ...(xfsMounted && {
      KINDLING__DEFAULT__enabled_backends: 'cached,counted,sized,reflinked',
      KINDLING__reflinked__volume_driver: 'file',
      KINDLING__reflinked__file_volume_dir: join(xfsMount, 'volumes'),
      KINDLING__reflinked__image_volume_cache_enabled: 'true',
    }),
  });
  for (const b of ['cached', 'counted', 'sized', ...(xfsMounted ? ['reflinked'] : [])])
    types[b] = await volumeType(k, `on-${b}`, { volume_backend_name: b });
});
after(async () => {
  await k?.close();
  if (!skip) glance.stop();
  // (when the unmount fails, the work directory is left alone rather than emptied through it)
  if (xfsMounted) execFileSync('umount', [xfsMount]);
  rmSync(work, { recursive: true, force: true });
});

let fileNo = 0;
/**
 * An image file with `text` at 1 MiB: raw, `size` bytes (a few MiB), or qcow2 of `virtual` bytes
 * (small whatever its virtual size).
 */
function imageFile(text: string, opts: { qcow2Virtual?: number } = {}): string {
  const raw = join(work, `img-${++fileNo}.raw`);
  execFileSync('truncate', ['-s', `${4 * MiB}`, raw]);
  const data = readFileSync(raw);
  Buffer.from(text).copy(data, MiB);
  writeFileSync(raw, data);
  if (!opts.qcow2Virtual) return raw;
  const q = join(work, `img-${fileNo}.qcow2`);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, q]);
  execFileSync('qemu-img', ['resize', '-f', 'qcow2', q, String(opts.qcow2Virtual)]);
  return q;
}

/** Uploads `path` to Glance; the image's id. */
async function upload(path: string, name: string, diskFormat = 'raw'): Promise<string> {
  const created = await fetch(`${glance.url}/v2/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, disk_format: diskFormat, container_format: 'bare' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const id = ((await created.json()) as { id: string }).id;
  const put = await fetch(`${glance.url}/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: readFileSync(path),
  });
  assert.equal(put.status, 204, await put.text());
  return id;
}

/** Creates a volume of `size` GiB from `imageId` on `backend` and waits for it to be available. */
async function fromImage(imageId: string, backend: string, size = 1): Promise<any> {
  const r = await k.req('POST', '/v3/admin/volumes', {
    volume: { size, imageRef: imageId, volume_type: types[backend], name: `from-${imageId}` },
  });
  assert.equal(r.status, 202, r.text);
  const v = await waitForVolumeStatus(k, r.body.volume.id, ['available', 'error'], SLOW);
  assert.equal(v.status, 'available', `volume ${v.id} from image ${imageId}`);
  return v;
}

/** How many times Glance served the image's data (its access log's `GET …/file` lines). */
function downloads(imageId: string): number {
  const log = readFileSync(join(glance.dir, 'log', 'glance-api.log'), 'utf8');
  return log.split('\n').filter((l) => l.includes(`"GET /v2/images/${imageId}/file`)).length;
}

/** The image-volume cache notifications about `imageId`, as `[action, host]`. */
function cacheEvents(imageId: string): [string, unknown][] {
  return k.notifications.sent
    .filter(
      (n: Notification) => n.event_type.startsWith('image_volume_cache.') && n.payload.image_id === imageId,
    )
    .map((n) => [n.event_type.slice('image_volume_cache.'.length), n.payload.host]);
}

function entries(imageId?: string) {
  let q = k.db.selectFrom('image_volume_cache_entries').selectAll().orderBy('id');
  if (imageId) q = q.where('image_id', '=', imageId);
  return q.execute();
}

/** The internal tenant's volumes (live), by name. */
async function cacheVolumes(imageId: string): Promise<any[]> {
  const r = await k.req('GET', `/v3/admin/volumes/detail?all_tenants=1&name=image-${imageId}`);
  assert.equal(r.status, 200, r.text);
  return r.body.volumes;
}

async function waitGone(volumeId: string): Promise<void> {
  await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${volumeId}`)).status === 404, SLOW);
}

async function quotaUsage(project: string): Promise<Record<string, any>> {
  const r = await k.req('GET', `/v3/admin/os-quota-sets/${project}?usage=true`);
  assert.equal(r.status, 200, r.text);
  return r.body.quota_set;
}

test(
  'a first create fills the cache (miss), a second clones the cache volume (hit) without a download',
  { skip, timeout: 900_000 },
  async () => {
    const text = 'the cached image';
    const id = await upload(imageFile(text), 'img-cached');
    const a = await fromImage(id, 'cached', 2);
    const host = a['os-vol-host-attr:host'];
    assert.equal(downloads(id), 1, 'one download for the first volume');
    // Cinder announces a miss at each lookup: the prepare step, the clone attempt, the entry.
    assert.deepEqual(cacheEvents(id), [
      ['miss', host],
      ['miss', host],
      ['miss', host],
    ]);
    const miss = k.notifications.sent.find((n) => n.event_type === 'image_volume_cache.miss')!;
    assert.equal(miss.publisher_id, `volume.${k.core.config.DEFAULT.host}`);
    assert.deepEqual(miss.payload, { image_id: id, host });

    // The cache volume: the internal tenant's, named image-<id>, the image's virtual size (1 GiB),
    // read-only, a copy of the image; the user's volume grew back to its 2 GiB.
    const [cv, ...more] = await cacheVolumes(id);
    assert.equal(more.length, 0);
    assert.equal(cv['os-vol-tenant-attr:tenant_id'], INTERNAL);
    assert.equal(cv.user_id, 'admin', "as Cinder's, the requesting user's id");
    assert.equal(cv.size, 1);
    assert.equal(cv.status, 'available');
    assert.equal(cv.source_volid, a.id);
    assert.equal(cv.metadata.readonly, 'True');
    assert.equal(await readAt(await volumeFile(k, cv.id), MiB, text.length), text);
    assert.equal(a.size, 2);
    assert.equal(statSync(await volumeFile(k, a.id)).size, 2 * GiB);
    const [entry] = await entries(id);
    assert.equal(entry?.volume_id, cv.id);
    assert.equal(entry?.host, cv['os-vol-host-attr:host']);
    assert.equal(entry?.size, 1);
    const shown: any = await (await fetch(`${glance.url}/v2/images/${id}`)).json();
    assert.equal(entry?.image_updated_at, `${new Date(shown.updated_at).toISOString().slice(0, 23)}000`);
    // As Cinder's, the cache volume counts in the internal tenant's quota.
    const q = await quotaUsage(INTERNAL);
    assert.equal(q.volumes.in_use, 1);
    assert.equal(q.gigabytes.in_use, 1);

    // The data gone from Glance's store: only the cache can make the next volume.
    const stored = readdirSync(glance.imagesDir).filter((f) => f.startsWith(id));
    assert.ok(stored.length > 0, 'the image file in the file store');
    for (const f of stored) rmSync(join(glance.imagesDir, f));
    const hitsBefore = cacheEvents(id).length;
    const b = await fromImage(id, 'cached', 3);
    assert.equal(downloads(id), 1, 'no second download');
    assert.deepEqual(cacheEvents(id).slice(hitsBefore), [
      ['hit', entry?.host],
      ['hit', entry?.host],
    ]);
    assert.equal(b.size, 3);
    assert.equal(statSync(await volumeFile(k, b.id)).size, 3 * GiB);
    assert.equal(await readAt(await volumeFile(k, b.id), MiB, text.length), text);
    assert.equal(b.bootable, 'true');
    assert.equal(b.volume_image_metadata.image_id, id);
    assert.equal((await cacheVolumes(id)).length, 1, 'no second cache volume');

    // Deleting the cache volume removes its entry (evict) and gives the internal tenant's quota back.
    const before = cacheEvents(id).length;
    const del = await k.req('DELETE', `/v3/admin/volumes/${cv.id}`);
    assert.equal(del.status, 202, del.text);
    assert.deepEqual(await entries(id), []);
    assert.deepEqual(cacheEvents(id).slice(before), [['evict', entry?.host]]);
    await waitGone(cv.id);
    await waitFor(async () => (await quotaUsage(INTERNAL)).volumes.in_use === 0, SLOW);
    // The volumes made from it keep their data.
    assert.equal(await readAt(await volumeFile(k, b.id), MiB, text.length), text);
  },
);

test(
  'an image updated in Glance since its entry was made is evicted and downloaded again',
  { skip, timeout: 900_000 },
  async () => {
    const text = 'an image that changes';
    const id = await upload(imageFile(text), 'img-updated');
    const a = await fromImage(id, 'cached');
    const host = a['os-vol-host-attr:host'];
    const [old] = await entries(id);
    assert.ok(old);
    await sleep(1100); // Glance's updated_at has whole seconds
    const patched = await fetch(`${glance.url}/v2/images/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([{ op: 'add', path: '/kindling_note', value: 'changed' }]),
    });
    assert.equal(patched.status, 200, await patched.text());
    const seen = cacheEvents(id).length;
    const b = await fromImage(id, 'cached');
    assert.deepEqual(cacheEvents(id).slice(seen), [
      ['evict', old.host],
      ['miss', host],
      ['miss', host],
      ['miss', host],
    ]);
    assert.equal(downloads(id), 2, 'downloaded again');
    await waitGone(old.volume_id);
    const [fresh, ...more] = await entries(id);
    assert.equal(more.length, 0);
    assert.notEqual(fresh?.volume_id, old.volume_id);
    assert.ok(fresh!.image_updated_at! > old.image_updated_at!);
    assert.equal(await readAt(await volumeFile(k, b.id), MiB, text.length), text);
    assert.equal(b.volume_image_metadata.kindling_note, 'changed');
  },
);

test(
  'image_volume_cache_max_count: the least recently used entry makes room',
  { skip, timeout: 900_000 },
  async () => {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push(await upload(imageFile(`counted ${n}`), `img-counted-${n}`));
    const [i1, i2, i3] = ids as [string, string, string];
    await fromImage(i1, 'counted');
    await fromImage(i2, 'counted');
    await fromImage(i1, 'counted'); // a hit: i1 is now the most recently used
    assert.equal(downloads(i1), 1);
    const cache2 = (await entries(i2))[0]!;
    const seen = cacheEvents(i2).length;
    await fromImage(i3, 'counted');
    assert.deepEqual(cacheEvents(i2).slice(seen), [['evict', cache2.host]]);
    assert.deepEqual(
      (await entries()).filter((e) => e.host === cache2.host).map((e) => e.image_id),
      [i1, i3],
    );
    await waitGone(cache2.volume_id);
    // i2 again: a miss (downloaded), which in turn evicts i1's entry, now the oldest.
    const cache1 = (await entries(i1))[0]!;
    await fromImage(i2, 'counted');
    assert.equal(downloads(i2), 2);
    assert.deepEqual(await entries(i1), []);
    await waitGone(cache1.volume_id);
  },
);

test(
  'image_volume_cache_max_size_gb: entries go, oldest first, until the new one fits; a bigger image is not cached',
  { skip, timeout: 900_000 },
  async () => {
    const small1 = await upload(imageFile('sized 1'), 'img-sized-1');
    const small2 = await upload(imageFile('sized 2'), 'img-sized-2');
    const two = await upload(imageFile('sized two', { qcow2Virtual: 2 * GiB }), 'img-sized-2g', 'qcow2');
    const three = await upload(imageFile('sized three', { qcow2Virtual: 3 * GiB }), 'img-sized-3g', 'qcow2');
    await fromImage(small1, 'sized');
    await fromImage(small2, 'sized');
    const [e1, e2] = [(await entries(small1))[0]!, (await entries(small2))[0]!];
    assert.equal(e1.size + e2.size, 2);
    // 2 GiB more: both 1 GiB entries go (the oldest first).
    const v2 = await fromImage(two, 'sized', 2);
    assert.deepEqual(cacheEvents(small1).at(-1), ['evict', e1.host]);
    assert.deepEqual(cacheEvents(small2).at(-1), ['evict', e2.host]);
    const sized = (await entries()).filter((e) => e.host === e1.host);
    assert.deepEqual(
      sized.map((e) => [e.image_id, e.size]),
      [[two, 2]],
    );
    assert.equal(await readAt(await volumeFile(k, v2.id), MiB, 9), 'sized two');
    // 3 GiB can never fit a 2 GiB cache: no entry, nothing evicted, the volume is made all the same.
    const v3 = await fromImage(three, 'sized', 3);
    assert.deepEqual(await entries(three), []);
    assert.deepEqual(
      (await entries()).filter((e) => e.host === e1.host).map((e) => e.image_id),
      [two],
    );
    assert.equal((await cacheVolumes(three)).length, 0);
    assert.equal(await readAt(await volumeFile(k, v3.id), MiB, 11), 'sized three');
    for (const e of [e1, e2]) await waitGone(e.volume_id);
    assert.ok(!existsSync(join(k.stateDir, 'volumes', 'sized', `volume-${e1.volume_id}`)));
  },
);

test(
  "on xfs (reflink=1) the cache volume and the volumes made from it share the image's extents",
  { skip: skip || xfsSkip, timeout: 900_000 },
  async () => {
    const text = 'a reflinked image';
    const id = await upload(imageFile(text), 'img-reflinked');
    const a = await fromImage(id, 'reflinked');
    const [entry] = await entries(id);
    assert.ok(entry);
    const b = await fromImage(id, 'reflinked', 2);
    assert.deepEqual(cacheEvents(id).slice(-2), [
      ['hit', entry.host],
      ['hit', entry.host],
    ]);
    for (const vol of [a.id, entry.volume_id, b.id]) {
      const file = await volumeFile(k, vol);
      assert.ok(file.startsWith(xfsMount), file);
      assert.equal(await readAt(file, MiB, text.length), text);
      // filefrag -v flags each extent; a reflinked one is `shared`.
      const extents = execFileSync('filefrag', ['-v', file], { encoding: 'utf8' });
      assert.match(extents, /shared/, `${vol}: ${extents}`);
    }
  },
);

test(
  "the internal tenant over its quota: no entry, no cache volume, the user's volume is made",
  { skip, timeout: 900_000 },
  async () => {
    const inUse = (await quotaUsage(INTERNAL)).volumes.in_use as number;
    const set = (volumes: number) =>
      k.req('PUT', `/v3/admin/os-quota-sets/${INTERNAL}`, { quota_set: { volumes } });
    assert.equal((await set(inUse)).status, 200);
    try {
      const id = await upload(imageFile('over quota'), 'img-over-quota');
      const v = await fromImage(id, 'cached');
      assert.equal(await readAt(await volumeFile(k, v.id), MiB, 10), 'over quota');
      assert.deepEqual(await entries(id), []);
      assert.deepEqual(await cacheVolumes(id), []);
      assert.equal((await quotaUsage(INTERNAL)).volumes.in_use, inUse);
      assert.equal((await quotaUsage(INTERNAL)).volumes.reserved, 0);
    } finally {
      assert.equal((await set(-1)).status, 200);
    }
  },
);
