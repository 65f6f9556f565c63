/**
 * Volumes from images with a real Glance (scripts/glance-up.sh, noauth, file store): a raw and a
 * qcow2 image made here with qemu-img, holding a known pattern, become volumes whose bytes hold
 * that pattern; the volume is bootable and keeps the image's metadata. A corrupted image (its data
 * no longer matches Glance's checksum), an image whose data is not what it claims, and one larger
 * than the volume end as Cinder's do. Skipped, with the reason, only where Glance or qemu-img
 * cannot be installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  mv,
  startTestKindling,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';
import { startGlance, type TestGlance } from '../image/glance-support.js';
import { messageEvents, readAt, volumeFile } from '../api/volume-actions-support.js';

const MiB = 1024 ** 2;
const started = await startGlance();
const skip = 'skip' in started ? started.skip : false;
const glance = started as TestGlance;
const work = mkdtempSync(join(tmpdir(), 'kindling-images-'));
let k: TestKindling;

before(async () => {
  if (skip) return;
  k = await startTestKindling({ KINDLING__DEFAULT__glance_api_servers: glance.url });
});
after(async () => {
  await k?.close();
  if (!skip) glance.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A 64 MiB image file of `format` with `text` at offset 1 MiB. */
function imageFile(format: 'raw' | 'qcow2', text: string): string {
  const raw = join(work, `${format}-${text.length}.raw`);
  execFileSync('truncate', ['-s', `${64 * MiB}`, raw]);
  execFileSync('qemu-io', ['-f', 'raw', '-c', `write -P 0x61 ${MiB} 4k`, raw]);
  const buf = Buffer.from(text);
  const fd = readFileSync(raw);
  buf.copy(fd, MiB);
  writeFileSync(raw, fd);
  if (format === 'raw') return raw;
  const q = join(work, `${format}-${text.length}.qcow2`);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, q]);
  return q;
}

/** Uploads `path` to Glance as an image; its id. */
async function upload(path: string, diskFormat: string, name: string, extra: Record<string, unknown> = {}) {
  const created = await fetch(`${glance.url}/v2/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, disk_format: diskFormat, container_format: 'bare', ...extra }),
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

async function createFromImage(imageRef: string, size = 1) {
  const r = await k.req('POST', '/v3/admin/volumes', {
    volume: { size, imageRef, name: `from-${imageRef}` },
  });
  return r;
}

for (const format of ['raw', 'qcow2'] as const) {
  test(
    `a volume from a ${format} image holds the image's bytes, is bootable and keeps its metadata`,
    { skip },
    async () => {
      const text = `pattern of the ${format} image`;
      const imageId = await upload(imageFile(format, text), format, `img-${format}`, {
        os_distro: 'kindlinux',
      });
      const r = await createFromImage(imageId);
      assert.equal(r.status, 202, r.text);
      const v = await waitForVolumeStatus(k, r.body.volume.id, ['available', 'error']);
      assert.equal(v.status, 'available', k.logs());
      assert.equal(v.bootable, 'true');
      assert.equal(await readAt(await volumeFile(k, v.id), MiB, text.length), text);
      const shown = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume;
      assert.equal(shown.volume_image_metadata.image_id, imageId);
      assert.equal(shown.volume_image_metadata.image_name, `img-${format}`);
      assert.equal(shown.volume_image_metadata.disk_format, format);
      assert.equal(shown.volume_image_metadata.os_distro, 'kindlinux');
      const meta = await k.req('POST', `/v3/admin/volumes/${v.id}/action`, {
        'os-show_image_metadata': null,
      });
      assert.equal(meta.body.metadata.image_id, imageId);
      // By name too, as Cinder's _image_uuid_from_ref.
      const byName = await createFromImage(`img-${format}`);
      assert.equal(byName.status, 202, byName.text);
      assert.equal(
        (await waitForVolumeStatus(k, byName.body.volume.id, ['available', 'error'])).status,
        'available',
      );
    },
  );
}

test(
  'refusals at the API: unknown image 400, too small a volume 400, image not active 400',
  { skip },
  async () => {
    const unknown = await createFromImage('00000000-0000-4000-8000-000000000000');
    assert.deepEqual(unknown.body, {
      badRequest: { code: 400, message: 'Invalid image identifier or unable to access requested image.' },
    });
    // A small qcow2 of 2 GiB virtual size: Glance records its virtual_size, which must fit.
    const big = join(work, 'big.qcow2');
    execFileSync('qemu-img', ['create', '-f', 'qcow2', big, '2G']);
    const bigId = await upload(big, 'qcow2', 'img-big');
    const tooSmall = await createFromImage(bigId, 1);
    assert.deepEqual(tooSmall.body, {
      badRequest: {
        code: 400,
        message: `Image ${bigId} is unacceptable: Image virtual size is 2GB and doesn't fit in a volume of size 1GB.`,
      },
    });
    const queued = await fetch(`${glance.url}/v2/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'img-queued', disk_format: 'raw', container_format: 'bare' }),
    });
    const queuedId = ((await queued.json()) as { id: string }).id;
    const notActive = await createFromImage(queuedId);
    assert.deepEqual(notActive.body, {
      badRequest: { code: 400, message: `Invalid input received: Image ${queuedId} is not active.` },
    });
    const vols = await k.req('GET', '/v3/admin/volumes?name=from-' + queuedId);
    assert.deepEqual(vols.body.volumes, []);
  },
);

test(
  'a corrupted image or one that is not what it claims ends in error with a user message; nothing leaks',
  { skip },
  async () => {
    const before = (await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
    const id = await upload(imageFile('raw', 'soon corrupted'), 'raw', 'img-corrupt');
    // Change the stored bytes behind Glance's back: the checksum no longer matches.
    const stored = readdirSync(glance.imagesDir).find((f) => f.startsWith(id));
    assert.ok(stored, 'the image file in the file store');
    const data = readFileSync(join(glance.imagesDir, stored));
    data[MiB] = data[MiB]! ^ 0xff;
    writeFileSync(join(glance.imagesDir, stored), data);
    const r = await createFromImage(id);
    assert.equal(r.status, 202, r.text);
    const v = await waitForVolumeStatus(k, r.body.volume.id, ['error', 'available']);
    assert.equal(v.status, 'error');
    assert.ok((await messageEvents(k, v.id)).some((e) => e.startsWith('VOLUME_VOLUME_005_')));
    const msgs = await k.req('GET', `/v3/admin/messages?resource_uuid=${v.id}`, undefined, mv('3.3'));
    // (then the scheduler finds no other backend to retry on: its own message comes too)
    assert.ok(
      msgs.body.messages.some((m: { user_message: string }) =>
        m.user_message.startsWith('copy image to volume:'),
      ),
      JSON.stringify(msgs.body.messages),
    );

    // A qcow2 file uploaded as raw... is raw to qemu (it reads the bytes); a raw file claimed as
    // qcow2 is refused: its data is not what it claims.
    const liar = await upload(imageFile('raw', 'not qcow2'), 'qcow2', 'img-liar');
    const l = await createFromImage(liar);
    const lv = await waitForVolumeStatus(k, l.body.volume.id, ['error', 'available']);
    assert.equal(lv.status, 'error');

    // No file of the failed volumes is left in the conversion directory.
    const conv = join(k.stateDir, 'conversion');
    assert.deepEqual(
      readdirSync(conv).filter((f) => f.startsWith('tmp-')),
      [],
    );
    // The errored volumes count (as Cinder: a volume in error uses its quota until deleted)…
    const mid = (await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
    assert.equal(mid.volumes.in_use, before.volumes.in_use + 2);
    assert.equal(mid.volumes.reserved, 0);
    // …and give it back when deleted.
    for (const vol of [v.id, lv.id])
      assert.equal((await k.req('DELETE', `/v3/admin/volumes/${vol}`)).status, 202);
    await waitFor(async () => {
      const q = (await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
      return q.volumes.in_use === before.volumes.in_use;
    });
  },
);
