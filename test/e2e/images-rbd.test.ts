/**
 * Volumes from images on RBD with a real Glance whose default store is an RBD pool (`images`) of
 * the same throwaway Ceph as Kindling's `volumes` pool (scripts/ceph-up.sh, scripts/glance-up.sh
 * --rbd). Checked on the cluster with `rbd info --format json`: a raw image becomes a copy-on-write
 * clone of the Glance image's snapshot (`images/<id>@snap`), grown to the volume's size, never
 * downloaded, its bytes readable; with `rbd_flatten_volume_from_snapshot` the clone is flattened; a
 * qcow2 image in the same cluster and a raw image of Glance's file store are downloaded instead,
 * and then go through the image-volume cache, whose hit is an `rbd clone` of the cache volume.
 * Skipped, with the reason, only when the ceph or glance packages cannot be installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Notification } from '../../src/notify/notifier.js';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { startGlance, type TestGlance } from '../image/glance-support.js';
import { volumeType } from '../api/volume-actions-support.js';
import { rbdInfo, rbdRead, startCeph, stopCeph, type TestCeph } from '../volume/rbd-ceph.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const SLOW = 240_000;
const cephStart = await startCeph();
const glanceStart =
  'skip' in cephStart ? cephStart : await startGlance({ ceph: { ...cephStart, pool: 'images' } });
const skip = 'skip' in glanceStart ? glanceStart.skip : false;
const ceph = cephStart as TestCeph;
const glance = glanceStart as TestGlance;
const work = mkdtempSync(join(tmpdir(), 'kindling-images-rbd-'));
let k: TestKindling;
const types: Record<string, string> = {};

before(async () => {
  if (skip) return;
  const rbdBackend = (name: string) => ({
    [`KINDLING__${name}__volume_driver`]: 'rbd',
    [`KINDLING__${name}__rbd_pool`]: ceph.pool,
    [`KINDLING__${name}__rbd_ceph_conf`]: ceph.conf,
    [`KINDLING__${name}__rbd_keyring_conf`]: ceph.keyring,
  });
  k = await startTestKindling({
    KINDLING__DEFAULT__glance_api_servers: glance.url,
    KINDLING__DEFAULT__enabled_backends: 'ceph,flat',
    KINDLING__DEFAULT__cinder_internal_tenant_project_id: 'kindling-internal',
    KINDLING__DEFAULT__cinder_internal_tenant_user_id: 'cache-keeper',
    ...rbdBackend('ceph'),
    KINDLING__ceph__image_volume_cache_enabled: 'true',
    ...rbdBackend('flat'),
    KINDLING__flat__rbd_flatten_volume_from_snapshot: 'true',
  });
  for (const b of ['ceph', 'flat']) types[b] = await volumeType(k, `on-${b}`, { volume_backend_name: b });
});
after(async () => {
  await k?.close();
  if (!('skip' in glanceStart)) glance.stop();
  if (!('skip' in cephStart)) stopCeph(ceph);
  rmSync(work, { recursive: true, force: true });
});

let fileNo = 0;
/** A 5 MiB image file with `text` at 1 MiB, raw or qcow2. */
function imageFile(text: string, format: 'raw' | 'qcow2' = 'raw'): string {
  const raw = join(work, `img-${++fileNo}.raw`);
  execFileSync('truncate', ['-s', `${5 * MiB}`, raw]);
  const data = readFileSync(raw);
  Buffer.from(text).copy(data, MiB);
  writeFileSync(raw, data);
  if (format === 'raw') return raw;
  const q = join(work, `img-${fileNo}.qcow2`);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, q]);
  return q;
}

/** Uploads `path` to Glance (its default store, rbd, unless `store` says otherwise); the id. */
async function upload(path: string, name: string, diskFormat = 'raw', store?: string): Promise<string> {
  const created = await fetch(`${glance.url}/v2/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, disk_format: diskFormat, container_format: 'bare' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const id = ((await created.json()) as { id: string }).id;
  const put = await fetch(`${glance.url}/v2/images/${id}/file`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/octet-stream',
      ...(store ? { 'x-image-meta-store': store } : {}),
    },
    body: readFileSync(path),
  });
  assert.equal(put.status, 204, await put.text());
  return id;
}

async function fromImage(imageId: string, backend: string, size = 1): Promise<any> {
  const r = await k.req('POST', '/v3/admin/volumes', {
    volume: { size, imageRef: imageId, volume_type: types[backend] },
  });
  assert.equal(r.status, 202, r.text);
  const v = await waitForVolumeStatus(k, r.body.volume.id, ['available', 'error'], SLOW);
  assert.equal(v.status, 'available', `volume ${v.id} from image ${imageId}`);
  return v;
}

function downloads(imageId: string): number {
  const log = readFileSync(join(glance.dir, 'log', 'glance-api.log'), 'utf8');
  return log.split('\n').filter((l) => l.includes(`"GET /v2/images/${imageId}/file`)).length;
}

function cacheEvents(imageId: string): string[] {
  return k.notifications.sent
    .filter(
      (n: Notification) => n.event_type.startsWith('image_volume_cache.') && n.payload.image_id === imageId,
    )
    .map((n) => n.event_type.slice('image_volume_cache.'.length));
}

async function text(volumeId: string, length: number): Promise<string> {
  return (await rbdRead(ceph, `volume-${volumeId}`, MiB, length)).toString();
}

test(
  'a raw image of the same cluster: the volume is a clone of its snapshot, grown, never downloaded',
  { skip, timeout: 900_000 },
  async () => {
    const id = await upload(imageFile('cloned from glance'), 'img-raw-rbd');
    const v = await fromImage(id, 'ceph', 2);
    const info = await rbdInfo(ceph, `volume-${v.id}`);
    const p = info?.parent;
    assert.deepEqual(
      { pool: p?.pool, image: p?.image, snapshot: p?.snapshot },
      { pool: 'images', image: id, snapshot: 'snap' },
    );
    assert.equal(info?.size, 2 * GiB);
    assert.equal(await text(v.id, 18), 'cloned from glance');
    assert.equal(downloads(id), 0);
    // clone_image comes before the cache: neither looked up nor filled.
    assert.deepEqual(cacheEvents(id), []);
    assert.equal(v.bootable, 'true');
    assert.equal(v.volume_image_metadata.image_id, id);
    // A second one is a second clone of the same snapshot.
    const w = await fromImage(id, 'ceph');
    assert.equal((await rbdInfo(ceph, `volume-${w.id}`))?.parent?.image, id);
    assert.equal(downloads(id), 0);
    // Glance cannot delete an image whose snapshot has clones…
    const refused = await fetch(`${glance.url}/v2/images/${id}`, { method: 'DELETE' });
    assert.equal(refused.status, 409, await refused.text());
    // …and deleting the volumes leaves Glance's image alone.
    for (const vol of [v, w])
      assert.equal((await k.req('DELETE', `/v3/admin/volumes/${vol.id}`)).status, 202);
    for (const vol of [v, w])
      await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${vol.id}`)).status === 404, SLOW);
    assert.equal(await rbdInfo(ceph, `volume-${v.id}`), null);
    const img = await fetch(`${glance.url}/v2/images/${id}`);
    assert.equal(((await img.json()) as { status: string }).status, 'active');
  },
);

test(
  'rbd_flatten_volume_from_snapshot: the clone of the image is flattened',
  { skip, timeout: 900_000 },
  async () => {
    const id = await upload(imageFile('flattened'), 'img-raw-flat');
    const v = await fromImage(id, 'flat');
    const info = await rbdInfo(ceph, `volume-${v.id}`);
    assert.equal(info?.parent, undefined);
    assert.equal(info?.size, GiB);
    assert.equal(await text(v.id, 9), 'flattened');
    assert.equal(downloads(id), 0);
  },
);

test(
  'a qcow2 image in the same cluster is downloaded, not cloned; the cache hit is an rbd clone of the cache volume',
  { skip, timeout: 900_000 },
  async () => {
    const id = await upload(imageFile('qcow2 on rbd', 'qcow2'), 'img-qcow2-rbd', 'qcow2');
    const a = await fromImage(id, 'ceph');
    assert.equal(downloads(id), 1);
    assert.equal((await rbdInfo(ceph, `volume-${a.id}`))?.parent, undefined, 'not a clone of the image');
    assert.equal(await text(a.id, 12), 'qcow2 on rbd');
    assert.deepEqual(cacheEvents(id), ['miss', 'miss', 'miss']);
    const [entry] = await k.db
      .selectFrom('image_volume_cache_entries')
      .selectAll()
      .where('image_id', '=', id)
      .execute();
    assert.ok(entry);
    // Cinder's cache volume is a clone of the first volume (its .clone_snap).
    const cacheInfo = await rbdInfo(ceph, `volume-${entry.volume_id}`);
    assert.equal(cacheInfo?.parent?.image, `volume-${a.id}`);
    const b = await fromImage(id, 'ceph', 3);
    assert.equal(downloads(id), 1, 'the hit downloads nothing');
    assert.deepEqual(cacheEvents(id).slice(3), ['hit', 'hit']);
    const info = await rbdInfo(ceph, `volume-${b.id}`);
    assert.deepEqual(
      { pool: info?.parent?.pool, image: info?.parent?.image, snapshot: info?.parent?.snapshot },
      { pool: ceph.pool, image: `volume-${entry.volume_id}`, snapshot: `volume-${b.id}.clone_snap` },
    );
    assert.equal(info?.size, 3 * GiB);
    assert.equal(await text(b.id, 12), 'qcow2 on rbd');
  },
);

test(
  "a raw image of Glance's file store is downloaded (its location is not rbd://)",
  { skip, timeout: 900_000 },
  async () => {
    const id = await upload(imageFile('raw on file'), 'img-raw-file', 'raw', 'file');
    const v = await fromImage(id, 'flat');
    assert.equal(downloads(id), 1);
    assert.equal((await rbdInfo(ceph, `volume-${v.id}`))?.parent, undefined);
    assert.equal(await text(v.id, 11), 'raw on file');
  },
);
