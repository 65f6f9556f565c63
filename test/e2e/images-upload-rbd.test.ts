/**
 * Upload to an image and reimage on an RBD backend (a throwaway Ceph of scripts/ceph-up.sh and a
 * real Glance with its file store): the volume's bytes come from `rbd export` (streamed for raw,
 * kept in a sparse temporary file for a conversion), and a reimage discards the image's old
 * objects (`zeroVolume`: resize to nothing and back) before qemu-img writes the new image into it;
 * a snapshot taken before keeps the old bytes. Skipped, with the reason, where Ceph or Glance
 * cannot be installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { waitForSnapshotStatus } from '../support/snapshots.js';
import { startGlance, type TestGlance } from '../image/glance-support.js';
import { act } from '../api/volume-actions-support.js';
import { rbdRead, rbdWrite, startCeph, stopCeph, type TestCeph } from '../volume/rbd-ceph.js';
import { MiB, pattern, writeAt } from '../volume/volume-bytes.js';

const SLOW_MS = 300_000;
const GiB = 1024 ** 3;
const FAR = 700 * MiB;
const cephStarted = await startCeph();
const glanceStarted = cephStarted && !('skip' in cephStarted) ? await startGlance() : null;
const skip =
  'skip' in cephStarted
    ? cephStarted.skip
    : glanceStarted && 'skip' in glanceStarted
      ? glanceStarted.skip
      : false;
const ceph = cephStarted as TestCeph;
const glance = glanceStarted as TestGlance;
const work = mkdtempSync(join(tmpdir(), 'kindling-images-upload-rbd-'));
const A = pattern(11);
const B = pattern(12);
let k: TestKindling;

before(async () => {
  if (skip) return;
  k = await startTestKindling({
    KINDLING__DEFAULT__enabled_backends: 'ceph',
    KINDLING__DEFAULT__glance_api_servers: glance.url,
    KINDLING__ceph__volume_driver: 'rbd',
    KINDLING__ceph__volume_backend_name: 'ceph',
    KINDLING__ceph__rbd_pool: ceph.pool,
    KINDLING__ceph__rbd_ceph_conf: ceph.conf,
    KINDLING__ceph__rbd_keyring_conf: ceph.keyring,
    KINDLING__ceph__rados_connect_timeout: '3',
  });
});
after(async () => {
  await k?.close();
  if (glanceStarted && !('skip' in glanceStarted)) glance.stop();
  if (!('skip' in cephStarted)) stopCeph(ceph);
  rmSync(work, { recursive: true, force: true });
});

/** An available 1 GiB RBD volume with A at 1 MiB and B at 700 MiB; its id. */
async function patternVolume(): Promise<string> {
  const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1 } });
  assert.equal(r.status, 202, r.text);
  const id = r.body.volume.id as string;
  assert.equal((await waitForVolumeStatus(k, id, ['available', 'error'], 60_000)).status, 'available');
  await rbdWrite(ceph, `volume-${id}`, MiB, A);
  await rbdWrite(ceph, `volume-${id}`, FAR, B);
  return id;
}

/** What the volume's raw content should be: a sparse 1 GiB file with the same two patterns. */
function expectedRaw(): string {
  const path = join(work, 'expected.raw');
  rmSync(path, { force: true });
  execFileSync('truncate', ['-s', String(GiB), path]);
  writeAt(path, MiB, A);
  writeAt(path, FAR, B);
  return path;
}

async function download(imageId: string): Promise<string> {
  const r = await fetch(`${glance.url}/v2/images/${imageId}/file`);
  assert.equal(r.status, 200);
  const path = join(work, `download-${imageId}`);
  await pipeline(Readable.fromWeb(r.body as never), createWriteStream(path));
  return path;
}

async function uploaded(id: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await act(k, id, { 'os-volume_upload_image': args });
  assert.equal(r.status, 202, r.text);
  const imageId = r.body['os-volume_upload_image'].image_id as string;
  assert.equal((await waitForVolumeStatus(k, id, ['available'], SLOW_MS)).status, 'available');
  const image = (await (await fetch(`${glance.url}/v2/images/${imageId}`)).json()) as Record<string, any>;
  assert.equal(image.status, 'active', JSON.stringify(image));
  return image;
}

test('raw and qcow2 uploads of an RBD volume hold its content', { skip, timeout: SLOW_MS * 2 }, async () => {
  const id = await patternVolume();
  const expected = expectedRaw();
  const raw = await uploaded(id, { image_name: 'rbd-raw' });
  assert.equal(raw.size, GiB);
  const rawData = await download(raw.id as string);
  assert.equal(spawnSync('cmp', ['-s', expected, rawData]).status, 0, 'the raw image has the volume bytes');
  rmSync(rawData);
  const qcow2 = await uploaded(id, { image_name: 'rbd-qcow2', disk_format: 'qcow2' });
  const qData = await download(qcow2.id as string);
  assert.equal(
    spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', expected, qData]).status,
    0,
    'the qcow2 image has the volume content',
  );
  // The sparse temporary copy of the export is gone.
  assert.deepEqual(
    (spawnSync('ls', [join(k.stateDir, 'conversion')], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .filter((f) => f.startsWith('vol_upload_')),
    [],
  );
});

test(
  'reimage of an RBD volume: the new image, zeros beyond it; a snapshot keeps the old bytes',
  { skip, timeout: SLOW_MS },
  async () => {
    const id = await patternVolume();
    const s = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: id } });
    assert.equal(s.status, 202, s.text);
    await waitForSnapshotStatus(k, s.body.snapshot.id, ['available']);
    // An 8 MiB qcow2 image with its own pattern at 1 MiB.
    const raw = join(work, 'new.raw');
    execFileSync('truncate', ['-s', String(8 * MiB), raw]);
    const C = pattern(13, 64 * 1024);
    writeAt(raw, MiB, C);
    const q = join(work, 'new.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, q]);
    const created = await fetch(`${glance.url}/v2/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rbd-reimage', disk_format: 'qcow2', container_format: 'bare' }),
    });
    const imageId = ((await created.json()) as { id: string }).id;
    const put = await fetch(`${glance.url}/v2/images/${imageId}/file`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: readFileSync(q),
    });
    assert.equal(put.status, 204);

    const r = await act(k, id, { 'os-reimage': { image_id: imageId } }, '3.68');
    assert.equal(r.status, 202, r.text);
    const v = await waitForVolumeStatus(k, id, ['available', 'error'], SLOW_MS);
    assert.equal(v.status, 'available');
    assert.equal(v.volume_image_metadata.image_id, imageId);
    const name = `volume-${id}`;
    assert.deepEqual(await rbdRead(ceph, name, MiB, C.length), C);
    assert.deepEqual(await rbdRead(ceph, name, MiB + C.length, MiB - C.length), Buffer.alloc(MiB - C.length));
    assert.deepEqual(
      await rbdRead(ceph, name, FAR, B.length),
      Buffer.alloc(B.length),
      'old bytes beyond the image are gone',
    );
    const info = JSON.parse(
      execFileSync(
        'rbd',
        ['--conf', ceph.conf, '--keyring', ceph.keyring, 'info', '--format', 'json', `${ceph.pool}/${name}`],
        {
          encoding: 'utf8',
        },
      ),
    ) as { size: number };
    assert.equal(info.size, GiB);
    const snapName = `${name}@snapshot-${s.body.snapshot.id}`;
    assert.deepEqual(await rbdRead(ceph, snapName, MiB, A.length), A, 'the snapshot keeps the old bytes');
    assert.deepEqual(await rbdRead(ceph, snapName, FAR, B.length), B);
  },
);
