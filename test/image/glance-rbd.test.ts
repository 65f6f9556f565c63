/**
 * scripts/glance-up.sh --rbd: a Glance whose default store is an RBD pool of a throwaway Ceph
 * (scripts/ceph-up.sh), both started for this file and removed at the end. What Cinder's RBD
 * clone_image needs from it: the image's location `rbd://<fsid>/<pool>/<id>/snap` (direct_url and
 * locations), a protected snapshot `snap` to clone from, and the `file` store still reachable by
 * id. Skipped, with the reason, only when the packages cannot be installed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { ImageNotFound } from '../../src/common/errors.js';
import { GlanceImageService, glanceOptions } from '../../src/image/index.js';
import { rbd, startCeph, stopCeph, type TestCeph } from '../volume/rbd-ceph.js';
import { noauthContext, startGlance, type TestGlance } from './glance-support.js';

const cephStart = await startCeph();
const glanceStart =
  'skip' in cephStart
    ? cephStart
    : await startGlance({ auth: 'noauth', ceph: { ...cephStart, pool: 'images' } });
const skip = 'skip' in glanceStart ? glanceStart.skip : false;
const ceph = cephStart as TestCeph;
const glance = glanceStart as TestGlance;
const images = skip ? undefined : new GlanceImageService(glanceOptions({ apiServers: [glance.url] }));
after(() => {
  images?.close();
  if (!('skip' in glanceStart)) glance.stop();
  if (!('skip' in cephStart)) stopCeph(ceph);
});

const data = Buffer.alloc(5 * 1024 * 1024 + 7, 0x5a);
data.write('KINDLING-RBD-IMAGE', 4096);

function fsid(): string {
  return /^fsid = (.+)$/m.exec(readFileSync(ceph.conf, 'utf8'))![1]!.trim();
}

test(
  'an image in the rbd store: rbd://fsid/pool/id/snap, a protected snapshot, the same bytes back',
  { skip },
  async () => {
    const c = noauthContext();
    const img = await images!.create(c, { name: 'on-rbd', disk_format: 'raw', container_format: 'bare' });
    await images!.upload(c, img.id, Readable.from([data]), { size: data.length });
    const shown = await images!.show(c, img.id);
    const url = `rbd://${fsid()}/images/${img.id}/snap`;
    assert.equal(shown.status, 'active');
    assert.equal(shown.stores, 'rbd');
    assert.equal(shown.direct_url, url);
    assert.deepEqual(shown.locations, [{ url, metadata: { store: 'rbd' } }]);
    const snaps = JSON.parse(await rbd(ceph, 'snap', 'ls', '--format', 'json', `images/${img.id}`)) as {
      name: string;
      protected: string;
    }[];
    assert.deepEqual(
      snaps.map((s) => [s.name, s.protected]),
      [['snap', 'true']],
    );
    const info = JSON.parse(await rbd(ceph, 'info', '--format', 'json', `images/${img.id}`)) as {
      size: number;
    };
    assert.equal(info.size, data.length);
    const dl = await images!.download(c, img.id);
    const got: Buffer[] = [];
    for await (const chunk of dl.stream) got.push(chunk as Buffer);
    assert.ok(Buffer.concat(got).equals(data));
    assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'));
    await images!.delete(c, img.id);
    await assert.rejects(images!.show(c, img.id), ImageNotFound);
    await assert.rejects(rbd(ceph, 'info', `images/${img.id}`));
  },
);

test('the file store stays available by id (X-Image-Meta-Store)', { skip }, async () => {
  const c = noauthContext();
  assert.deepEqual(await images!.stores(c), [{ id: 'file' }, { id: 'rbd', default: 'true' }]);
  const img = await images!.create(c, { name: 'on-file', disk_format: 'raw', container_format: 'bare' });
  await images!.upload(c, img.id, data, { storeId: 'file' });
  const shown = await images!.show(c, img.id);
  assert.equal(shown.stores, 'file');
  assert.equal(shown.direct_url, `file://${glance.imagesDir}/${img.id}`);
  await images!.delete(c, img.id);
});
