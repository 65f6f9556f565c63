/**
 * Upload to an image (`os-volume_upload_image`) and reimage (`os-reimage`, 3.68) with a real
 * Glance (scripts/glance-up.sh, noauth, file store): a volume holding a known pattern becomes a raw
 * image with the same bytes and a (compressed) qcow2 image with the same content, its image
 * metadata carried into the image's properties; an in-use volume needs `force`; the refusals are
 * Real Cinder Zed's answers. Reimage writes an image over a volume: the image's bytes, zeros
 * everywhere else (the old pattern beyond the image's data is gone), the image metadata replaced.
 * The Debian `cinder upload-to-image` and `openstack image` clients drive a `kindling serve`.
 * Skipped, with the reason, only where Glance or qemu-img cannot be installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  mv,
  startTestKindling,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';
import { startGlance, type TestGlance } from '../image/glance-support.js';
import {
  act,
  availableVolume,
  fault,
  readAt,
  volumeFile,
  volumeRow,
  writeAt,
} from '../api/volume-actions-support.js';
import { clientSkipReason, kindlingForSuite, runCli, runClient, waitFor as waitUntil } from './harness.js';
import { parseProperties } from './prettytable.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** Uploads and reimages of 1 GiB volumes on a loaded machine take a while. */
const SLOW_MS = 300_000;
const started = await startGlance();
const skip = 'skip' in started ? started.skip : false;
const glance = started as TestGlance;
const work = mkdtempSync(join(tmpdir(), 'kindling-images-upload-'));
let k: TestKindling;

before(async () => {
  if (skip) return;
  k = await startTestKindling({
    KINDLING__DEFAULT__glance_api_servers: glance.url,
    KINDLING__DEFAULT__enable_force_upload: 'true',
  });
});
after(async () => {
  await k?.close();
  if (!skip) glance.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The old content of a volume: a text at 1 MiB (where images have data) and one at 700 MiB. */
const OLD_AT_1M = 'old bytes at one MiB';
const OLD_AT_700M = 'old bytes at seven hundred MiB';

/** An available 1 GiB volume whose file holds the old pattern. */
async function patternVolume(extra: Record<string, unknown> = {}) {
  const v = await availableVolume(k, extra);
  const file = await volumeFile(k, v.id);
  await writeAt(file, MiB, OLD_AT_1M);
  await writeAt(file, 700 * MiB, OLD_AT_700M);
  return { id: v.id as string, file };
}

async function glanceImage(id: string): Promise<Record<string, any>> {
  const r = await fetch(`${glance.url}/v2/images/${id}`);
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as Record<string, any>;
}

/** The image's data saved to a file under the work directory. */
async function download(id: string): Promise<string> {
  const r = await fetch(`${glance.url}/v2/images/${id}/file`);
  assert.equal(r.status, 200);
  const path = join(work, `download-${id}`);
  await pipeline(Readable.fromWeb(r.body as never), createWriteStream(path));
  return path;
}

/** Waits for Glance to say the image is `active` (the volume goes back just after the upload). */
function activeImage(id: string): Promise<Record<string, any>> {
  return waitFor(async () => {
    const image = await glanceImage(id);
    return image.status === 'active' && image;
  }, SLOW_MS);
}

/** Whether two disk images (any qemu formats) have the same content; a longer one's tail is zeros. */
function sameContent(a: string, aFormat: string, b: string, bFormat: string): boolean {
  return spawnSync('qemu-img', ['compare', '-f', aFormat, '-F', bFormat, a, b]).status === 0;
}

/** Uploads `path` to Glance as an image; its id. */
async function glanceUpload(
  path: string,
  diskFormat: string,
  name: string,
  extra: Record<string, unknown> = {},
) {
  const created = await fetch(`${glance.url}/v2/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, disk_format: diskFormat, container_format: 'bare', ...extra }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const id = ((await created.json()) as { id: string }).id;
  if (path) {
    const put = await fetch(`${glance.url}/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: readFileSync(path),
    });
    assert.equal(put.status, 204, await put.text());
  }
  return id;
}

/** An 8 MiB image of `format` with `text` at 1 MiB (a raw file written here, maybe converted). */
async function imageFile(format: 'raw' | 'qcow2', text: string): Promise<string> {
  const raw = join(work, `new-${randomUUID()}.raw`);
  execFileSync('truncate', ['-s', `${8 * MiB}`, raw]);
  execFileSync('qemu-io', ['-f', 'raw', '-c', 'write -P 0x6e 0 4k', raw]);
  await writeAt(raw, MiB, text);
  if (format === 'raw') return raw;
  const q = `${raw}.qcow2`;
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, q]);
  return q;
}

/** The volume's user messages (3.5: filtered by resource), oldest first: `[event_id, user_message]`. */
async function messagesOf(id: string, count = 1): Promise<[string, string][]> {
  const r = await waitFor(async () => {
    const r = await k.req('GET', `/v3/admin/messages?resource_uuid=${id}`, undefined, mv('3.5'));
    return r.body?.messages?.length >= count && r;
  });
  return (r.body.messages as { event_id: string; user_message: string }[])
    .map((m): [string, string] => [m.event_id, m.user_message])
    .reverse();
}

function upload(id: string, args: Record<string, unknown>, version = '3.0') {
  return act(k, id, { 'os-volume_upload_image': args }, version);
}

describe('os-volume_upload_image', { skip }, () => {
  test(
    'raw: the image holds the volume bytes; its properties carry the image metadata; the volume goes back',
    { timeout: SLOW_MS * 2 },
    async () => {
      const { id, file } = await patternVolume();
      // Image metadata, as a volume made from an image has: core keys, custom ones, reserved ones.
      const set = await act(k, id, {
        'os-set_image_metadata': {
          metadata: {
            image_id: 'the-old-image',
            image_name: 'old',
            checksum: 'abc',
            os_distro: 'kindlinux',
            hw_disk_bus: 'scsi',
            os_glance_foo: 'x',
            img_signature: 'sig',
          },
        },
      });
      assert.equal(set.status, 200, set.text);
      const before = (await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume;
      const r = await upload(id, { image_name: 'raw-upload' });
      assert.equal(r.status, 202, r.text);
      const answer = r.body['os-volume_upload_image'];
      assert.deepEqual(Object.keys(answer), [
        'id',
        'updated_at',
        'status',
        'display_description',
        'size',
        'volume_type',
        'image_id',
        'container_format',
        'disk_format',
        'image_name',
        'protected',
        'visibility',
      ]);
      assert.equal(answer.id, id);
      assert.equal(answer.updated_at, before.updated_at);
      assert.equal(answer.status, 'uploading');
      assert.equal(answer.size, 1);
      assert.equal(answer.volume_type.name, '__DEFAULT__');
      assert.deepEqual(Object.keys(answer.volume_type), [
        'id',
        'name',
        'description',
        'is_public',
        'extra_specs',
        'qos_specs_id',
        'created_at',
        'updated_at',
        'deleted_at',
        'deleted',
      ]);
      assert.equal(answer.container_format, 'bare');
      assert.equal(answer.disk_format, 'raw');
      assert.equal(answer.image_name, 'raw-upload');
      // A noauth Glance makes images `shared` unless told; before 3.1 Cinder says nothing of it.
      assert.equal(answer.visibility, 'shared');
      assert.equal(answer.protected, false);
      const row = await volumeRow(k, id);
      assert.equal(row.previous_status, 'available');

      const image = await activeImage(answer.image_id);
      const v = await waitForVolumeStatus(k, id, ['available'], SLOW_MS);
      assert.equal(v.status, 'available');
      assert.equal(image.size, GiB);
      assert.equal(image.disk_format, 'raw');
      assert.equal(image.os_distro, 'kindlinux');
      assert.equal(image.hw_disk_bus, 'scsi');
      for (const key of ['image_id', 'image_name', 'os_glance_foo', 'img_signature'])
        assert.equal(image[key], undefined, key);
      assert.notEqual(image.checksum, 'abc');
      const data = await download(answer.image_id);
      try {
        assert.equal(spawnSync('cmp', ['-s', file, data]).status, 0, 'the image has the volume bytes');
        assert.equal(await readAt(data, 700 * MiB, OLD_AT_700M.length), OLD_AT_700M);
      } finally {
        unlinkSync(data);
      }
    },
  );

  test(
    '3.1 qcow2, private and protected: the same content, compressed; an in-use volume needs force',
    { timeout: SLOW_MS * 2 },
    async () => {
      const { id, file } = await patternVolume();
      // In use: attached through the attachments API.
      const a = await k.req(
        'POST',
        '/v3/admin/attachments',
        { attachment: { volume_uuid: id, instance_uuid: randomUUID() } },
        mv('3.27'),
      );
      assert.equal(a.status, 200, a.text);
      const done = await k.req(
        'POST',
        `/v3/admin/attachments/${a.body.attachment.id}/action`,
        { 'os-complete': null },
        mv('3.44'),
      );
      assert.equal(done.status, 204);
      const args = {
        image_name: 'qcow2-upload',
        disk_format: 'qcow2',
        visibility: 'private',
        protected: 'true',
      };
      assert.deepEqual(
        (await upload(id, args, '3.1')).body,
        fault(400, `Invalid volume: Volume ${id} status must be available`),
      );
      const r = await upload(id, { ...args, force: true }, '3.1');
      assert.equal(r.status, 202, r.text);
      const answer = r.body['os-volume_upload_image'];
      assert.equal(answer.disk_format, 'qcow2');
      assert.equal(answer.visibility, 'private');
      assert.equal(answer.protected, true);
      assert.equal((await volumeRow(k, id)).previous_status, 'in-use');
      const image = await activeImage(answer.image_id);
      const v = await waitForVolumeStatus(k, id, ['in-use'], SLOW_MS);
      assert.equal(v.status, 'in-use');
      assert.equal(image.disk_format, 'qcow2');
      assert.equal(image.visibility, 'private');
      assert.equal(image.protected, true);
      assert.ok(image.size < 16 * MiB, `a sparse 1 GiB volume makes a small qcow2 (${image.size})`);
      const data = await download(answer.image_id);
      try {
        assert.equal(
          JSON.parse(execFileSync('qemu-img', ['info', '--output=json', data], { encoding: 'utf8' })).format,
          'qcow2',
        );
        assert.ok(sameContent(file, 'raw', data, 'qcow2'), 'the qcow2 image has the volume content');
        const check = JSON.parse(
          execFileSync('qemu-img', ['check', '--output=json', data], { encoding: 'utf8' }),
        ) as { 'compressed-clusters'?: number };
        assert.ok((check['compressed-clusters'] ?? 0) > 0, 'image_compress_on_upload: compressed clusters');
      } finally {
        unlinkSync(data);
      }
      // Let the image go at the end (a protected image cannot be deleted).
      await fetch(`${glance.url}/v2/images/${answer.image_id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
        body: JSON.stringify([{ op: 'replace', path: '/protected', value: false }]),
      });
    },
  );

  test("refusals: Cinder's schema texts, statuses, Glance's refusal, compression; the status comes back", async () => {
    const { id } = await patternVolume();
    const cases: [unknown, string, string][] = [
      [
        {},
        '3.0',
        "Invalid input for field/attribute os-volume_upload_image. Value: {}. 'image_name' is a required property",
      ],
      [
        null,
        '3.0',
        "Invalid input for field/attribute os-volume_upload_image. Value: None. None is not of type 'object'",
      ],
      [{ image_name: '' }, '3.0', "Invalid input for field/attribute image_name. Value: . '' is too short"],
      [
        { image_name: 'x', disk_format: 'iso' },
        '3.0',
        "Invalid input for field/attribute disk_format. Value: iso. 'iso' is not one of ['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop']",
      ],
      [
        { image_name: 'x', visibility: 'public' },
        '3.0',
        "Invalid input for field/attribute os-volume_upload_image. Value: {'image_name': 'x', 'visibility': 'public'}. Additional properties are not allowed ('visibility' was unexpected)",
      ],
      [
        { image_name: 'x', visibility: 'bogus' },
        '3.1',
        "Invalid input for field/attribute visibility. Value: bogus. 'bogus' is not one of ['community', 'public', 'private', 'shared']",
      ],
      [
        { image_name: 5 },
        '3.0',
        "Invalid input for field/attribute image_name. Value: 5. 5 is not of type 'string'",
      ],
    ];
    for (const [args, version, message] of cases)
      assert.deepEqual(
        (await act(k, id, { 'os-volume_upload_image': args }, version)).body,
        fault(400, message),
        JSON.stringify(args),
      );
    assert.match(
      (await upload(id, { image_name: 'x', force: 'maybe' })).body.badRequest.message,
      /^Invalid input for field\/attribute force\. Value: maybe\. 'maybe' is not one of \[True, 'True'/,
    );
    assert.deepEqual((await upload(randomUUID(), { image_name: 'x' })).body.itemNotFound.code, 404);
    // Glance's own refusal (a noauth Glance lets no one publicize), as Real Cinder words it.
    assert.deepEqual(
      (await upload(id, { image_name: 'pub', visibility: 'public' }, '3.1')).body,
      fault(400, 'HTTP 403 Forbidden: You are not authorized to complete publicize_image action.'),
    );
    assert.deepEqual(
      (await upload(id, { image_name: 'gz', container_format: 'compressed' })).body,
      fault(400, 'Image compression upload disallowed, but container_format is compressed'),
    );
    const v = (await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume;
    assert.equal(v.status, 'available');
    const images = (await (await fetch(`${glance.url}/v2/images?name=gz`)).json()) as { images: unknown[] };
    assert.deepEqual(images.images, [], 'a refused upload leaves no image');
    // Not `available` (and not in-use with force): the status is said.
    assert.equal((await act(k, id, { 'os-reset_status': { status: 'error' } })).status, 202);
    assert.deepEqual(
      (await upload(id, { image_name: 'x', force: true })).body,
      fault(400, `Invalid volume: Volume ${id} status must be available or in-use`),
    );
  });

  test(
    "a backend failure: the image is deleted, the volume goes back, 'copy volume to image' message",
    { timeout: SLOW_MS },
    async () => {
      const { id, file } = await patternVolume();
      rmSync(file);
      const r = await upload(id, { image_name: 'doomed', disk_format: 'qcow2' });
      assert.equal(r.status, 202, r.text);
      const imageId = r.body['os-volume_upload_image'].image_id;
      assert.deepEqual(await messagesOf(id), [
        ['VOLUME_VOLUME_003_004', 'copy volume to image:Failed to upload volume to image at backend.'],
      ]);
      assert.equal((await waitForVolumeStatus(k, id, ['available'], SLOW_MS)).status, 'available');
      await waitFor(async () => (await fetch(`${glance.url}/v2/images/${imageId}`)).status === 404);
      // Nothing left in the conversion directory.
      const conv = join(k.stateDir, 'conversion');
      const left = spawnSync('ls', [conv], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((f) => f.startsWith('vol_upload_'));
      assert.deepEqual(left, []);
    },
  );
});

describe('os-reimage', { skip }, () => {
  const NEW_TEXT = 'the new image speaks here';

  test(
    'the image over the old content: its bytes, zeros elsewhere, image metadata replaced, bootable',
    { timeout: SLOW_MS },
    async () => {
      for (const format of ['raw', 'qcow2'] as const) {
        const path = await imageFile(format, NEW_TEXT);
        const imageId = await glanceUpload(path, format, `reimage-${format}`, { os_distro: 'newos' });
        const { id, file } = await patternVolume();
        await act(k, id, { 'os-set_image_metadata': { metadata: { image_id: 'older', custom: 'old' } } });
        const r = await act(k, id, { 'os-reimage': { image_id: imageId } }, '3.68');
        assert.equal(r.status, 202, r.text);
        assert.equal(r.text, '');
        const v = await waitForVolumeStatus(k, id, ['available', 'error'], SLOW_MS);
        assert.equal(v.status, 'available', k.logs());
        assert.equal(v.bootable, 'true');
        assert.equal(await readAt(file, MiB, NEW_TEXT.length), NEW_TEXT);
        assert.equal(await readAt(file, 700 * MiB, OLD_AT_700M.length), '\0'.repeat(OLD_AT_700M.length));
        assert.ok(sameContent(file, 'raw', path, format), 'the volume is the image, then zeros');
        const meta = v.volume_image_metadata;
        assert.equal(meta.image_id, imageId);
        assert.equal(meta.image_name, `reimage-${format}`);
        assert.equal(meta.disk_format, format);
        assert.equal(meta.os_distro, 'newos');
        assert.equal(meta.custom, undefined, 'the old image metadata is gone');
      }
    },
  );

  test(
    "refusals: 3.67, schema, statuses, Cinder's image checks; the status comes back",
    { timeout: SLOW_MS },
    async () => {
      const { id } = await patternVolume();
      const imageId = await glanceUpload(await imageFile('raw', NEW_TEXT), 'raw', 'reimage-refusals');
      assert.deepEqual(
        (await act(k, id, { 'os-reimage': { image_id: imageId } }, '3.67')).body,
        fault(404, 'The resource could not be found.'),
      );
      const schema: [unknown, string][] = [
        [{}, "Invalid input for field/attribute os-reimage. Value: {}. 'image_id' is a required property"],
        [null, "Invalid input for field/attribute os-reimage. Value: None. None is not of type 'object'"],
        [
          { image_id: 'nope' },
          "Invalid input for field/attribute image_id. Value: nope. 'nope' is not a 'uuid'",
        ],
        [
          { image_id: imageId, x: 1 },
          `Invalid input for field/attribute os-reimage. Value: {'image_id': '${imageId}', 'x': 1}. Additional properties are not allowed ('x' was unexpected)`,
        ],
      ];
      for (const [args, message] of schema)
        assert.deepEqual((await act(k, id, { 'os-reimage': args }, '3.68')).body, fault(400, message));

      const missing = randomUUID();
      assert.deepEqual(
        (await act(k, id, { 'os-reimage': { image_id: missing } }, '3.68')).body,
        fault(404, `Image ${missing} could not be found.`),
      );
      const queued = await glanceUpload('', 'raw', 'reimage-queued');
      assert.deepEqual(
        (await act(k, id, { 'os-reimage': { image_id: queued } }, '3.68')).body,
        fault(400, `Invalid input received: Image ${queued} is not active.`),
      );
      const minDisk = await glanceUpload(await imageFile('raw', 'x'), 'raw', 'reimage-min-disk', {
        min_disk: 5,
      });
      assert.deepEqual(
        (await act(k, id, { 'os-reimage': { image_id: minDisk } }, '3.68')).body,
        fault(
          400,
          'Invalid input received: Volume size 1GB cannot be smaller than the image minDisk size 5GB.',
        ),
      );
      // Kindling gives the status back where Cinder leaves the volume `downloading`.
      assert.equal((await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume.status, 'available');

      // A reserved volume needs reimage_reserved.
      const a = await k.req(
        'POST',
        '/v3/admin/attachments',
        { attachment: { volume_uuid: id, instance_uuid: randomUUID() } },
        mv('3.27'),
      );
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(
        (await act(k, id, { 'os-reimage': { image_id: imageId } }, '3.68')).body,
        fault(
          400,
          `Invalid volume: Volume ${id} status must be available or error, but current status is reserved.`,
        ),
      );
      const r = await act(k, id, { 'os-reimage': { image_id: imageId, reimage_reserved: 'true' } }, '3.68');
      assert.equal(r.status, 202, r.text);
      const back = await waitFor(async () => {
        const v = (await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume;
        return v.status !== 'downloading' && v;
      }, SLOW_MS);
      assert.equal(back.status, 'reserved');
      assert.equal(back.volume_image_metadata.image_id, imageId);
      // in-use: refused with either flag.
      const done = await k.req(
        'POST',
        `/v3/admin/attachments/${a.body.attachment.id}/action`,
        { 'os-complete': null },
        mv('3.44'),
      );
      assert.equal(done.status, 204);
      assert.deepEqual(
        (await act(k, id, { 'os-reimage': { image_id: imageId, reimage_reserved: true } }, '3.68')).body,
        fault(
          400,
          `Invalid volume: Volume ${id} status must be available or error or reserved, but current status is in-use.`,
        ),
      );
    },
  );

  test(
    "an error volume is reimaged; a corrupted image ends in error with a 'reimage volume' message",
    { timeout: SLOW_MS },
    async () => {
      const imageId = await glanceUpload(await imageFile('raw', NEW_TEXT), 'raw', 'reimage-error');
      const { id, file } = await patternVolume();
      assert.equal((await act(k, id, { 'os-reset_status': { status: 'error' } })).status, 202);
      assert.equal((await act(k, id, { 'os-reimage': { image_id: imageId } }, '3.68')).status, 202);
      assert.equal((await waitForVolumeStatus(k, id, ['available', 'error'], SLOW_MS)).status, 'available');
      assert.equal(await readAt(file, MiB, NEW_TEXT.length), NEW_TEXT);

      // The stored bytes changed behind Glance's back: the download fails its checksum.
      const corrupt = await glanceUpload(await imageFile('raw', 'to be corrupted'), 'raw', 'reimage-corrupt');
      const name = readdirSync(glance.imagesDir).find((f) => f.startsWith(corrupt));
      assert.ok(name, 'the image file in the file store');
      const stored = join(glance.imagesDir, name);
      const data = readFileSync(stored);
      data[MiB] = data[MiB]! ^ 0xff;
      writeFileSync(stored, data);
      const { id: id2, file: file2 } = await patternVolume();
      assert.equal((await act(k, id2, { 'os-reimage': { image_id: corrupt } }, '3.68')).status, 202);
      assert.equal((await waitForVolumeStatus(k, id2, ['available', 'error'], SLOW_MS)).status, 'error');
      assert.equal((await volumeRow(k, id2)).previous_status, 'downloading');
      const [[event, text]] = (await messagesOf(id2)) as [[string, string]];
      assert.match(event, /^VOLUME_VOLUME_016_/);
      assert.match(text, /^reimage volume:/);
      // The old content was not touched: the image never passed its checks.
      assert.equal(await readAt(file2, 700 * MiB, OLD_AT_700M.length), OLD_AT_700M);
    },
  );
});

describe(
  'the Debian clients: cinder upload-to-image, openstack image',
  { skip: skip || clientSkipReason('cinder') || clientSkipReason('openstack') },
  () => {
    const kindling = kindlingForSuite({
      env: skip ? {} : { KINDLING__DEFAULT__glance_api_servers: glance.url },
    });
    const cinder = (args: string[]) => runClient(kindling, 'cinder', args);
    const imageCli = (args: string[]) =>
      runCli('openstack', ['--os-auth-type', 'none', '--os-endpoint', glance.url, 'image', ...args], {});

    test(
      'cinder upload-to-image of a volume with a pattern; openstack image list and save see it',
      { timeout: SLOW_MS },
      async () => {
        const id = parseProperties((await cinder(['create', '1', '--name', 'to-upload'])).stdout).id ?? '';
        await waitUntil(
          'the volume to be available',
          async () =>
            parseProperties((await cinder(['show', id])).stdout).status === 'available' ? true : undefined,
          60_000,
        );
        const file = join(kindling.stateDir, 'volumes', `volume-${id}`);
        await writeAt(file, MiB, OLD_AT_1M);
        await writeAt(file, 700 * MiB, OLD_AT_700M);
        const out = await cinder(['upload-to-image', '--disk-format', 'qcow2', id, 'from-cinder-client']);
        const shown = parseProperties(out.stdout);
        assert.equal(shown.status, 'uploading');
        assert.equal(shown.image_name, 'from-cinder-client');
        assert.equal(shown.disk_format, 'qcow2');
        const imageId = shown.image_id ?? '';
        await waitUntil(
          'the volume to be available again',
          async () =>
            parseProperties((await cinder(['show', id])).stdout).status === 'available' ? true : undefined,
          SLOW_MS,
        );
        const list = await imageCli(['list', '-f', 'json']);
        assert.equal(list.code, 0, list.stderr);
        const row = (JSON.parse(list.stdout) as { ID: string; Name: string; Status: string }[]).find(
          (i) => i.ID === imageId,
        );
        assert.deepEqual(row, { ID: imageId, Name: 'from-cinder-client', Status: 'active' });
        const saved = join(work, 'saved.qcow2');
        const save = await imageCli(['save', '--file', saved, imageId]);
        assert.equal(save.code, 0, save.stderr);
        assert.ok(sameContent(file, 'raw', saved, 'qcow2'), 'the saved image has the volume content');

        // cinder reimage (3.68) writes that image over another volume's old content.
        const other =
          parseProperties((await cinder(['create', '1', '--name', 'to-reimage'])).stdout).id ?? '';
        await waitUntil(
          'the other volume to be available',
          async () =>
            parseProperties((await cinder(['show', other])).stdout).status === 'available' ? true : undefined,
          60_000,
        );
        const otherFile = join(kindling.stateDir, 'volumes', `volume-${other}`);
        await writeAt(otherFile, 900 * MiB, 'to be overwritten');
        await cinder(['--os-volume-api-version', '3.68', 'reimage', other, imageId]);
        const after = await waitUntil(
          'the reimaged volume',
          async () => {
            const v = parseProperties((await cinder(['show', other])).stdout);
            return v.status === 'available' || v.status === 'error' ? v : undefined;
          },
          SLOW_MS,
        );
        assert.equal(after.status, 'available');
        assert.equal(after.bootable, 'true');
        assert.ok(sameContent(otherFile, 'raw', saved, 'qcow2'), 'the reimaged volume has the image content');

        // openstack image create --volume: the same action through openstackclient's volume client.
        const osc = await runClient(kindling, 'openstack', [
          'image',
          'create',
          '--volume',
          other,
          '--disk-format',
          'qcow2',
          '-f',
          'json',
          'from-openstack-client',
        ]);
        const made = JSON.parse(osc.stdout) as Record<string, string>;
        assert.equal(made.status, 'uploading');
        assert.equal(made.volume_type, '__DEFAULT__');
        await waitUntil(
          'the openstack upload to finish',
          async () =>
            parseProperties((await cinder(['show', other])).stdout).status === 'available' ? true : undefined,
          SLOW_MS,
        );
        const oscImage = await imageCli(['show', '-f', 'json', made.image_id ?? '']);
        assert.equal((JSON.parse(oscImage.stdout) as { status: string }).status, 'active');
      },
    );
  },
);
