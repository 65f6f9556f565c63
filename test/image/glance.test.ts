/**
 * The Glance client (src/image/) against real Glances of scripts/glance-up.sh, one in noauth mode
 * and one in keystone mode (registered in the Keystone of scripts/keystone-up.sh), started side by
 * side for this file and removed at the end: create, upload (chunked and sized), show, download
 * with its checksum check (a corrupted file is detected, through Glance and read directly), list
 * by name and imageRef resolution, property updates, delete, and the errors of a missing image,
 * of another project's image, of a bad token and of an unreachable Glance. Skipped, with the
 * reason, only when the packages cannot be installed here.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import type { CatalogEntry, RequestContext } from '../../src/common/context.js';
import {
  BadRequest,
  Conflict,
  GlanceConnectionFailed,
  GlanceRequestFailed,
  ImageChecksumMismatch,
  ImageDownloadFailed,
  ImageNotAuthorized,
  ImageNotFound,
  NotAuthorized,
} from '../../src/common/errors.js';
import {
  BASE_ATTRIBUTES,
  digestOf,
  GlanceImageService,
  glanceOptions,
  getRemoteImageService,
  resolveImageRef,
  type GlanceOptions,
} from '../../src/image/index.js';
import { KS_PASSWORD, KS_URL } from '../e2e/keystone-support.js';
import { keystoneContext, noauthContext, startGlance, type TestGlance } from './glance-support.js';

const [noauthStart, keystoneStart] = await Promise.all([
  startGlance({ auth: 'noauth' }),
  startGlance({ auth: 'keystone' }),
]);
after(() => {
  for (const g of [noauthStart, keystoneStart]) if (!('skip' in g)) g.stop();
});

/** `size` bytes of a pattern that differs at every offset of a page (and a marker up front). */
function pattern(size: number, seed = 0xab): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed + (i >> 12)) & 0xff;
  b.write('KINDLING-IMAGE', 0);
  return b;
}

/** A stream of `data` in uneven chunks (so the upload is chunked). */
function chunks(data: Buffer, size = 65_537): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    })(),
  );
}

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer): string => createHash('sha512').update(b).digest('hex');

/** Flips one byte of a file-store image in place (Glance keeps serving it: a corrupt download). */
function corrupt(glance: TestGlance, imageId: string, offset: number): void {
  const fd = openSync(join(glance.imagesDir, imageId), 'r+');
  try {
    const b = Buffer.alloc(1);
    b[0] = readFileSync(join(glance.imagesDir, imageId))[offset]! ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

/** The tests both modes share; `ctx()` is a caller allowed to make images. */
function commonTests(
  label: string,
  start: TestGlance | { skip: string },
  options: (g: TestGlance) => GlanceOptions,
  ctx: () => Promise<RequestContext>,
): void {
  const skip = 'skip' in start ? start.skip : false;
  const glance = start as TestGlance;
  let images: GlanceImageService;
  const service = (): GlanceImageService => (images ??= new GlanceImageService(options(glance)));
  after(() => images?.close());
  const name = `kindling-${label}-${randomUUID().slice(0, 8)}`;
  const data = pattern(3 * 1024 * 1024 + 123);

  test(`${label}: create, chunked upload, show the v2 record`, { skip }, async () => {
    const c = await ctx();
    const made = await service().create(c, {
      name,
      disk_format: 'raw',
      container_format: 'bare',
      min_disk: 1,
      properties: { kindling_pattern: 'ab', hw_disk_bus: 'scsi' },
    });
    assert.equal(made.status, 'queued');
    assert.equal(made.size, null);
    assert.equal(made.kindling_pattern, 'ab');
    await service().upload(c, made.id, chunks(data));
    const image = await service().show(c, made.id);
    assert.equal(image.status, 'active');
    assert.equal(image.size, data.length);
    assert.equal(image.checksum, md5(data));
    assert.equal(image.os_hash_algo, 'sha512');
    assert.equal(image.os_hash_value, sha512(data));
    assert.equal(image.disk_format, 'raw');
    assert.equal(image.container_format, 'bare');
    assert.equal(image.min_disk, 1);
    assert.equal(image.min_ram, 0);
    // show_image_direct_url / show_multiple_locations: where the data is
    assert.equal(image.direct_url, `file://${join(glance.imagesDir, made.id)}`);
    assert.deepEqual(image.locations, [{ url: image.direct_url, metadata: { store: 'file' } }]);
    assert.equal(image.stores, 'file');
    // Cinder's view: properties apart from the base attributes
    const meta = await service().showMeta(c, made.id);
    assert.deepEqual(meta.properties, { kindling_pattern: 'ab', hw_disk_bus: 'scsi' });
    assert.equal(meta.checksum, md5(data));
    assert.ok(!('schema' in meta));
    assert.deepEqual(await service().getLocation(c, made.id), {
      directUrl: image.direct_url,
      locations: image.locations,
    });
  });

  test(`${label}: download streams the bytes, checked against os_hash_value`, { skip }, async () => {
    const c = await ctx();
    const [image] = await service().list(c, { name });
    const dl = await service().download(c, image!.id);
    assert.equal(dl.source, 'glance');
    assert.equal(dl.size, data.length);
    assert.deepEqual(dl.expected, { algorithm: 'sha512', value: sha512(data) });
    assert.ok((await readAll(dl.stream)).equals(data));
  });

  test(`${label}: a sized upload (Content-Length) of a buffer and of a stream`, { skip }, async () => {
    const c = await ctx();
    for (const body of [data, chunks(data)]) {
      const img = await service().create(c, {
        name: `${name}-sized`,
        disk_format: 'raw',
        container_format: 'bare',
      });
      await service().upload(c, img.id, body, { size: data.length });
      const shown = await service().show(c, img.id);
      assert.equal(shown.size, data.length);
      assert.equal(shown.checksum, md5(data));
      await service().delete(c, img.id);
    }
  });

  test(`${label}: uploading again to an active image is Glance's 409`, { skip }, async () => {
    const c = await ctx();
    const [image] = await service().list(c, { name });
    await assert.rejects(service().upload(c, image!.id, Buffer.from('again')), (e: unknown) => {
      assert.ok(e instanceof GlanceRequestFailed);
      assert.equal(e.status, 409);
      assert.match(e.message, /^HTTP 409 Conflict/);
      return true;
    });
  });

  test(`${label}: a corrupted image fails the download at its end`, { skip }, async () => {
    const c = await ctx();
    const img = await service().create(c, {
      name: `${name}-corrupt`,
      disk_format: 'raw',
      container_format: 'bare',
    });
    await service().upload(c, img.id, data);
    corrupt(glance, img.id, 1_000_000);
    const dl = await service().download(c, img.id);
    await assert.rejects(readAll(dl.stream), (e: unknown) => {
      assert.ok(e instanceof ImageChecksumMismatch);
      assert.ok(e instanceof ImageDownloadFailed);
      assert.equal(e.algorithm, 'sha512');
      assert.equal(e.expected, sha512(data));
      assert.notEqual(e.actual, e.expected);
      assert.equal(
        e.message,
        `Failed to download image ${img.id}, reason: IOError: 32 Corrupt image download. Hash was ${e.actual} expected ${e.expected}`,
      );
      return true;
    });
    // unchecked, the same bytes come through
    const raw = await readAll((await service().download(c, img.id, { verify: false })).stream);
    assert.equal(raw.length, data.length);
    assert.notEqual(raw[1_000_000], data[1_000_000]);
    // read directly from the file:// location (allowed_direct_url_schemes = file), still checked
    const direct = new GlanceImageService({ ...options(glance), allowedDirectUrlSchemes: ['file'] });
    try {
      const dd = await direct.download(c, img.id);
      assert.equal(dd.source, 'file');
      await assert.rejects(readAll(dd.stream), ImageChecksumMismatch);
      const [good] = await direct.list(c, { name });
      const ok = await direct.download(c, good!.id);
      assert.equal(ok.source, 'file');
      assert.ok((await readAll(ok.stream)).equals(data));
    } finally {
      direct.close();
    }
    await service().delete(c, img.id);
  });

  test(
    `${label}: list by name; imageRef by id, href and name; several of a name is 409`,
    { skip },
    async () => {
      const c = await ctx();
      const found = await service().list(c, { name });
      assert.equal(found.length, 1);
      const id = found[0]!.id;
      assert.equal(await resolveImageRef(service(), c, id), id);
      assert.equal(await resolveImageRef(service(), c, `http://glance.example:9292/v2/images/${id}`), id);
      assert.equal(await resolveImageRef(service(), c, name), id);
      await assert.rejects(resolveImageRef(service(), c, `${name}-none`), (e: unknown) => {
        assert.ok(e instanceof BadRequest);
        assert.equal(e.code, 400);
        assert.equal(e.message, 'Invalid image identifier or unable to access requested image.');
        return true;
      });
      await assert.rejects(resolveImageRef(service(), c, randomUUID()), BadRequest);
      await assert.rejects(resolveImageRef(service(), c, 42), /Invalid imageRef provided\./);
      const twin = await service().create(c, {
        name: `${name}-twin`,
        disk_format: 'raw',
        container_format: 'bare',
      });
      const twin2 = await service().create(c, {
        name: `${name}-twin`,
        disk_format: 'raw',
        container_format: 'bare',
      });
      await assert.rejects(resolveImageRef(service(), c, `${name}-twin`), (e: unknown) => {
        assert.ok(e instanceof Conflict);
        assert.equal(e.code, 409);
        assert.equal(e.message, `Multiple matches found for '${name}-twin', use an ID to be more specific.`);
        return true;
      });
      // pages: one image per request, every page followed; limit stops early
      const both = await service().list(c, { name: `${name}-twin` }, { pageSize: 1 });
      assert.deepEqual(both.map((i) => i.id).sort(), [twin.id, twin2.id].sort());
      assert.equal((await service().list(c, { name: `${name}-twin` }, { limit: 1 })).length, 1);
      await service().delete(c, twin.id);
      await service().delete(c, twin2.id);
    },
  );

  test(`${label}: update properties (add, replace, remove) and a raw JSON patch`, { skip }, async () => {
    const c = await ctx();
    const [image] = await service().list(c, { name });
    const id = image!.id;
    const updated = await service().updateProperties(c, id, { kindling_pattern: 'cd', os_distro: 'debian' }, [
      'hw_disk_bus',
    ]);
    assert.equal(updated.kindling_pattern, 'cd');
    assert.equal(updated.os_distro, 'debian');
    assert.ok(!('hw_disk_bus' in updated));
    const renamed = await service().update(c, id, [
      { op: 'replace', path: '/min_ram', value: 512 },
      { op: 'add', path: '/tags', value: ['boot'] },
    ]);
    assert.equal(renamed.min_ram, 512);
    assert.deepEqual(renamed.tags, ['boot']);
    // removing a property the image lacks is Glance's 409
    await assert.rejects(
      service().update(c, id, [{ op: 'remove', path: '/no_such_property' }]),
      (e: unknown) => {
        assert.ok(e instanceof GlanceRequestFailed);
        assert.equal(e.status, 409);
        return true;
      },
    );
    // a read-only attribute is Glance's 403: ImageNotAuthorized for an image
    await assert.rejects(
      service().update(c, id, [{ op: 'replace', path: '/size', value: 1 }]),
      ImageNotAuthorized,
    );
  });

  test(`${label}: delete; a missing image is ImageNotFound for every call`, { skip }, async () => {
    const c = await ctx();
    const [image] = await service().list(c, { name });
    const id = image!.id;
    await service().delete(c, id);
    const missing = (e: unknown): boolean => {
      assert.ok(e instanceof ImageNotFound);
      assert.equal(e.code, 404);
      assert.equal(e.message, `Image ${id} could not be found.`);
      return true;
    };
    await assert.rejects(service().show(c, id), missing);
    await assert.rejects(service().download(c, id), missing);
    await assert.rejects(service().delete(c, id), missing);
    await assert.rejects(service().update(c, id, [{ op: 'add', path: '/a', value: 'b' }]), missing);
    await assert.rejects(service().upload(c, id, Buffer.from('x')), missing);
    assert.deepEqual(await service().list(c, { name }), []);
  });

  test(`${label}: an image with no data cannot be downloaded`, { skip }, async () => {
    const c = await ctx();
    const img = await service().create(c, {
      name: `${name}-empty`,
      disk_format: 'raw',
      container_format: 'bare',
    });
    await assert.rejects(service().download(c, img.id), (e: unknown) => {
      assert.ok(e instanceof ImageDownloadFailed);
      assert.equal(e.message, `Failed to download image ${img.id}, reason: image contains no data.`);
      return true;
    });
    await service().delete(c, img.id);
  });

  test(`${label}: the stores of the multi-store Glance`, { skip }, async () => {
    assert.deepEqual(await service().stores(await ctx()), [{ id: 'file', default: 'true' }]);
  });
}

describe('noauth Glance', () => {
  const start = noauthStart;
  const options = (g: TestGlance): GlanceOptions => glanceOptions({ apiServers: [g.url] });
  commonTests('noauth', start, options, async () => noauthContext());

  const skip = 'skip' in start ? start.skip : false;
  test('the base attributes are those of the live image schema', { skip }, async () => {
    const g = start as TestGlance;
    const schema = (await (await fetch(`${g.url}/v2/schemas/image`)).json()) as {
      properties: Record<string, { is_base?: boolean }>;
    };
    const base = Object.entries(schema.properties)
      .filter(([, p]) => p.is_base !== false)
      .map(([k]) => k)
      .sort();
    assert.deepEqual(base, [...BASE_ATTRIBUTES].sort());
  });

  test('a token configured for noauth is sent; a noauth Glance takes any', { skip }, async () => {
    const g = start as TestGlance;
    const s = new GlanceImageService(glanceOptions({ apiServers: [g.url], noauthToken: 'anything' }));
    try {
      assert.ok(Array.isArray(await s.list(noauthContext(), { name: 'none' })));
    } finally {
      s.close();
    }
  });

  test('an image href names its own Glance (get_remote_image_service)', { skip }, async () => {
    const g = start as TestGlance;
    const c = noauthContext();
    const local = new GlanceImageService(glanceOptions({ apiServers: ['127.0.0.1:1'] }));
    const direct = new GlanceImageService(glanceOptions({ apiServers: [g.url] }));
    try {
      const img = await direct.create(c, {
        name: 'remote-href',
        disk_format: 'raw',
        container_format: 'bare',
      });
      const { service, imageId } = getRemoteImageService(
        glanceOptions({ apiServers: ['127.0.0.1:1'] }),
        `${g.url}/v2/images/${img.id}`,
      );
      assert.equal(imageId, img.id);
      assert.equal((await service.show(c, imageId)).name, 'remote-href');
      service.close();
      await direct.delete(c, img.id);
    } finally {
      local.close();
      direct.close();
    }
  });

  test('a Glance that does not answer: retries, then GlanceConnectionFailed', { skip }, async () => {
    const g = start as TestGlance;
    const tried: string[] = [];
    const s = new GlanceImageService(glanceOptions({ apiServers: ['127.0.0.1:1'], numRetries: 2 }), {
      sleep: async () => {},
      log: { warn: (obj) => tried.push((obj as { server: string }).server) },
    });
    await assert.rejects(s.show(noauthContext(), randomUUID()), (e: unknown) => {
      assert.ok(e instanceof GlanceConnectionFailed);
      assert.match(e.message, /^Connection to glance failed: ECONNREFUSED/);
      return true;
    });
    assert.deepEqual(tried, ['http://127.0.0.1:1', 'http://127.0.0.1:1', 'http://127.0.0.1:1']);
    // with a second, working server, the call succeeds whichever is tried first
    const t = new GlanceImageService(glanceOptions({ apiServers: ['127.0.0.1:1', g.url], numRetries: 1 }), {
      sleep: async () => {},
    });
    try {
      for (let i = 0; i < 4; i++) assert.ok(Array.isArray(await t.list(noauthContext(), { name: 'none' })));
    } finally {
      s.close();
      t.close();
    }
  });
});

/** A token of a user of keystone-up.sh, with its catalog as Kindling's context keeps it. */
async function keystoneToken(user: string): Promise<RequestContext> {
  const res = await fetch(`${KS_URL}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, domain: { name: 'Default' }, password: KS_PASSWORD } },
        },
        scope: { project: { name: user, domain: { name: 'Default' } } },
      },
    }),
  });
  assert.equal(res.status, 201);
  const body = (await res.json()) as {
    token: { user: { id: string }; project: { id: string }; catalog: CatalogEntry[] };
  };
  return keystoneContext(
    res.headers.get('x-subject-token')!,
    body.token.user.id,
    body.token.project.id,
    body.token.catalog,
  );
}

describe('keystone Glance', () => {
  const start = keystoneStart;
  // glance_api_servers unset: the image endpoint of the user's catalog
  const options = (): GlanceOptions => glanceOptions({ authStrategy: 'keystone' });
  commonTests('keystone', start, options, () => keystoneToken('demo'));

  const skip = 'skip' in start ? start.skip : false;
  test(
    "the catalog's image endpoint is this Glance; the image is the user's project's",
    { skip },
    async () => {
      const g = start as TestGlance;
      const demo = await keystoneToken('demo');
      const image = demo.serviceCatalog?.find((e) => e.type === 'image');
      assert.ok(image, 'no image service in the catalog');
      assert.equal(image.endpoints.find((e) => e.interface === 'public')?.url, g.url);
      const s = new GlanceImageService(options());
      try {
        const img = await s.create(demo, { name: 'owned', disk_format: 'raw', container_format: 'bare' });
        assert.equal(img.owner, demo.projectId);
        assert.equal(img.visibility, 'shared');
        // another project does not see it: 404 for the image, nothing in a list
        const alt = await keystoneToken('alt_demo');
        await assert.rejects(s.show(alt, img.id), ImageNotFound);
        assert.deepEqual(await s.list(alt, { name: 'owned' }), []);
        await assert.rejects(resolveImageRef(s, alt, img.id), BadRequest);
        await s.delete(demo, img.id);
      } finally {
        s.close();
      }
    },
  );

  test(
    'a bad or missing token: ImageNotAuthorized for an image, NotAuthorized for a list',
    { skip },
    async () => {
      const g = start as TestGlance;
      const s = new GlanceImageService(glanceOptions({ authStrategy: 'keystone', apiServers: [g.url] }));
      try {
        const bad = keystoneContext('not-a-token', 'u', 'p');
        await assert.rejects(s.show(bad, randomUUID()), (e: unknown) => {
          assert.ok(e instanceof ImageNotAuthorized);
          assert.match(e.message, /^Not authorized for image /);
          return true;
        });
        await assert.rejects(s.list(bad), (e: unknown) => {
          assert.ok(e instanceof NotAuthorized);
          assert.equal(e.code, 403);
          assert.match(e.message, /^HTTP 401 Unauthorized/);
          return true;
        });
        const none = { ...bad, authToken: null };
        await assert.rejects(s.show(none, randomUUID()), ImageNotAuthorized);
      } finally {
        s.close();
      }
    },
  );

  test(
    'without glance_api_servers and without an image endpoint: GlanceConnectionFailed',
    { skip },
    async () => {
      const s = new GlanceImageService(options());
      const demo = { ...(await keystoneToken('demo')), serviceCatalog: [] };
      await assert.rejects(s.show(demo, randomUUID()), /Connection to glance failed: no image service/);
    },
  );

  test('digestOf agrees with what Glance recorded', { skip }, async () => {
    const demo = await keystoneToken('demo');
    const s = new GlanceImageService(options());
    try {
      const img = await s.create(demo, { name: 'digest', disk_format: 'raw', container_format: 'bare' });
      const bytes = pattern(100_000, 3);
      await s.upload(demo, img.id, chunks(bytes, 999));
      const dl = await s.download(demo, img.id, { verify: false });
      assert.equal(await digestOf(dl.stream, 'sha512'), (await s.show(demo, img.id)).os_hash_value);
      await s.delete(demo, img.id);
    } finally {
      s.close();
    }
  });
});
