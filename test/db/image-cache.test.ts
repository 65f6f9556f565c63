/**
 * The image-volume cache's entries (migration 010, `src/db/api/image-cache.ts`) on every dialect:
 * create, lookup by image and backend (host or cluster) with `last_used` moved, most recently used
 * first, lookup by volume, delete.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import {
  imageVolumeCacheCreate,
  imageVolumeCacheDelete,
  imageVolumeCacheGetAll,
  imageVolumeCacheGetAndUpdateLastUsed,
  imageVolumeCacheGetByVolumeId,
} from '../../src/db/api/image-cache.js';

for (const dialect of DIALECTS) {
  describe(`image-volume cache db api [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    test('entries per image and backend, most recently used first; delete by volume', async () => {
      const host = `h-${randomUUID()}@file#file`;
      const [img1, img2] = [randomUUID(), randomUUID()];
      const values = (image_id: string, size: number) => ({
        host,
        cluster_name: null,
        image_id,
        image_updated_at: '2024-05-01T10:00:00.000000',
        volume_id: randomUUID(),
        size,
      });
      const a = await imageVolumeCacheCreate(db, values(img1, 1));
      await sleep(5);
      const b = await imageVolumeCacheCreate(db, values(img2, 2));
      assert.ok(a.id > 0 && b.id > a.id);
      assert.deepEqual(await imageVolumeCacheGetByVolumeId(db, a.volume_id), a);
      assert.deepEqual(
        (await imageVolumeCacheGetAll(db, { host })).map((e) => e.image_id),
        [img2, img1],
      );
      // Another backend (or pool) sees nothing.
      assert.equal(await imageVolumeCacheGetAndUpdateLastUsed(db, img1, { host: `${host}x` }), null);
      assert.deepEqual(await imageVolumeCacheGetAll(db, { cluster_name: 'c@file' }), []);
      await sleep(5);
      const hit = await imageVolumeCacheGetAndUpdateLastUsed(db, img1, { host });
      assert.equal(hit?.volume_id, a.volume_id);
      assert.ok(hit.last_used > b.last_used, 'last_used moved to now');
      assert.equal(hit.image_updated_at, '2024-05-01T10:00:00.000000');
      assert.deepEqual(
        (await imageVolumeCacheGetAll(db, { host })).map((e) => e.image_id),
        [img1, img2],
      );
      await imageVolumeCacheDelete(db, a.volume_id);
      await imageVolumeCacheDelete(db, a.volume_id);
      assert.equal(await imageVolumeCacheGetByVolumeId(db, a.volume_id), null);
      assert.equal(await imageVolumeCacheGetAndUpdateLastUsed(db, img1, { host }), null);
      assert.equal((await imageVolumeCacheGetAll(db, { host })).length, 1);
    });

    test('a clustered backend looks its entries up by cluster_name', async () => {
      const cluster = `c-${randomUUID()}@rbd`;
      const image = randomUUID();
      const e = await imageVolumeCacheCreate(db, {
        host: 'member1@rbd#rbd',
        cluster_name: `${cluster}#rbd`,
        image_id: image,
        image_updated_at: null,
        volume_id: randomUUID(),
        size: 3,
      });
      const got = await imageVolumeCacheGetAndUpdateLastUsed(db, image, { cluster_name: `${cluster}#rbd` });
      assert.equal(got?.id, e.id);
      assert.equal(got?.size, 3);
      assert.equal(got?.image_updated_at, null);
    });
  });
}
