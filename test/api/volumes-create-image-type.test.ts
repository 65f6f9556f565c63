/**
 * A volume made from an image whose `cinder_img_volume_type` property names a volume type gets
 * that type when the request names none (Cinder's `ExtractVolumeRequestTask._get_volume_type`:
 * the requested type, else the source volume's or snapshot's, else the image's, else the default);
 * a type the image names that the caller cannot find is Cinder's 404. cinder-tempest-plugin's
 * `test_create_from_image_with_volume_type_image_property` checks the first. Glance here is a
 * fake one (node:http) serving one small raw image and its data, at `glance_api_servers`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { volumeType } from './volume-actions-support.js';

const DATA = Buffer.alloc(1024, 0x42);

/** A Glance record of a 1 KiB raw image with `properties` at the top level, as Glance v2 shows it. */
function image(id: string, properties: Record<string, string>): Record<string, unknown> {
  return {
    id,
    name: `image-${id.slice(0, 8)}`,
    status: 'active',
    visibility: 'public',
    protected: false,
    os_hidden: false,
    owner: null,
    checksum: createHash('md5').update(DATA).digest('hex'),
    os_hash_algo: 'sha512',
    os_hash_value: createHash('sha512').update(DATA).digest('hex'),
    size: DATA.length,
    virtual_size: DATA.length,
    disk_format: 'raw',
    container_format: 'bare',
    min_disk: 0,
    min_ram: 0,
    tags: [],
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    self: `/v2/images/${id}`,
    file: `/v2/images/${id}/file`,
    schema: '/v2/schemas/image',
    ...properties,
  };
}

/** A fake Glance serving `images` (GET /v2/images/{id} and its /file); anything else is a 404. */
async function fakeGlance(
  images: Map<string, Record<string, unknown>>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    const m = /^\/v2\/images\/([^/?]+)(\/file)?$/.exec(req.url ?? '');
    const img = m ? images.get(m[1]!) : undefined;
    if (req.method !== 'GET' || !img) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message": "not found"}');
    } else if (m![2]) {
      res
        .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': DATA.length })
        .end(DATA);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(img));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function createFromImage(k: TestKindling, imageRef: string, extra: Record<string, unknown> = {}) {
  return k.req('POST', '/v3/admin/volumes', { volume: { size: 1, imageRef, ...extra } });
}

test('cinder_img_volume_type: the image names the type of a volume made from it, as in Cinder', async (t) => {
  const images = new Map<string, Record<string, unknown>>();
  const glance = await fakeGlance(images);
  t.after(() => new Promise<void>((resolve) => glance.server.close(() => resolve())));
  const k = await startTestKindling({ KINDLING__DEFAULT__glance_api_servers: glance.url });
  t.after(() => k.close());

  const gold = await volumeType(k, 'gold');
  const silver = await volumeType(k, 'silver');
  const byName = randomUUID();
  const byId = randomUUID();
  const unknown = randomUUID();
  const plain = randomUUID();
  images.set(byName, image(byName, { cinder_img_volume_type: 'gold' }));
  images.set(byId, image(byId, { cinder_img_volume_type: gold }));
  images.set(unknown, image(unknown, { cinder_img_volume_type: 'no-such-type' }));
  images.set(plain, image(plain, {}));

  // No type asked for: the image's, by name or by id; the volume is made and is of that type.
  for (const ref of [byName, byId]) {
    const r = await createFromImage(k, ref);
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.volume.volume_type, 'gold', `image ${ref}`);
    const v = await waitForVolumeStatus(k, r.body.volume.id, ['available']);
    assert.equal(v.volume_type, 'gold');
    assert.equal(v.volume_image_metadata.cinder_img_volume_type, images.get(ref)!.cinder_img_volume_type);
    const row = await k.db
      .selectFrom('volumes')
      .select('volume_type_id')
      .where('id', '=', v.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.volume_type_id, gold);
  }

  // A type asked for wins over the image's.
  const asked = await createFromImage(k, byName, { volume_type: 'silver' });
  assert.equal(asked.status, 202, asked.text);
  assert.equal(asked.body.volume.volume_type, 'silver');
  assert.equal((await waitForVolumeStatus(k, asked.body.volume.id, ['available'])).volume_type, 'silver');
  assert.ok(silver);

  // An image without the property: the default type.
  const dflt = await createFromImage(k, plain);
  assert.equal(dflt.status, 202, dflt.text);
  assert.equal(dflt.body.volume.volume_type, '__DEFAULT__');
  await waitForVolumeStatus(k, dflt.body.volume.id, ['available']);

  // A type the image names that does not exist: Cinder re-raises VolumeTypeNotFoundByName (404),
  // and no volume is made.
  const before = await k.db
    .selectFrom('volumes')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const missing = await createFromImage(k, unknown);
  assert.equal(missing.status, 404, missing.text);
  assert.deepEqual(missing.body, {
    itemNotFound: { code: 404, message: 'Volume type with name no-such-type could not be found.' },
  });
  const after = await k.db
    .selectFrom('volumes')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(Number(after.n), Number(before.n));
});
