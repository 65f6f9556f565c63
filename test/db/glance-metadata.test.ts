/**
 * Volume image metadata (migration 009, `src/db/api/glance-metadata.ts`) on every dialect: the
 * same calls give the same answers on SQLite, PostgreSQL and MariaDB — writes, the merge of
 * `os-set_image_metadata` in Cinder's order, copies between volumes and snapshots, soft deletes,
 * the list filter, and the volume record's `glance_metadata`.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { volumeRow } from '../support/volume-row.js';
import { randomUUID } from 'node:crypto';
import {
  DIALECTS,
  TEST_SEED,
  openFreshDatabase,
  unavailable,
  type OpenTestDatabase,
} from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import {
  GlanceMetadataExists,
  volumeGlanceMetadataBulkCreate,
  volumeGlanceMetadataCopyFromVolumeToVolume,
  volumeGlanceMetadataCopyToSnapshot,
  volumeGlanceMetadataCopyToVolume,
  volumeGlanceMetadataCreate,
  volumeGlanceMetadataDeleteBySnapshot,
  volumeGlanceMetadataDeleteByVolume,
  volumeGlanceMetadataDeleteKey,
  volumeGlanceMetadataGet,
  volumeGlanceMetadataListGet,
  volumeGlanceMetadataReplace,
  volumeGlanceMetadataUpdate,
  volumeSnapshotGlanceMetadataGet,
} from '../../src/db/api/glance-metadata.js';
import {
  volumeCreate,
  volumeDestroy,
  volumeGet,
  volumeGetAll,
  volumeSummary,
  type VolumeCreateValues,
} from '../../src/db/api/volumes.js';

function vol(projectId: string): VolumeCreateValues {
  return volumeRow({ user_id: 'u1', project_id: projectId, volume_type_id: TEST_SEED.defaultVolumeTypeId });
}

/** Live rows of an owner, as `[key, value]` pairs in row order. */
async function liveRows(db: Db, column: 'volume_id' | 'snapshot_id', id: string) {
  return (
    await db
      .selectFrom('volume_glance_metadata')
      .select(['key', 'value'])
      .where(column, '=', id)
      .where('deleted', '=', 0)
      .orderBy('id')
      .execute()
  ).map((r) => [r.key, r.value]);
}

for (const dialect of DIALECTS) {
  describe(`volume image metadata db api [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    test('create and bulk create never change a live key; values are strings, text-sized', async () => {
      const v = randomUUID();
      assert.deepEqual(await volumeGlanceMetadataGet(db, v), {});
      const long = 'x'.repeat(20_000);
      await volumeGlanceMetadataBulkCreate(db, v, { image_id: 'img', min_ram: 512, long });
      await volumeGlanceMetadataCreate(db, v, 'disk_format', 'qcow2');
      await assert.rejects(
        volumeGlanceMetadataCreate(db, v, 'image_id', 'other'),
        (e: Error) =>
          e instanceof GlanceMetadataExists &&
          e.message === `Glance metadata cannot be updated, key image_id exists for volume id ${v}`,
      );
      // A clash writes nothing, not even the other keys.
      await assert.rejects(
        volumeGlanceMetadataBulkCreate(db, v, { fresh: '1', min_ram: '1' }),
        GlanceMetadataExists,
      );
      assert.deepEqual(await volumeGlanceMetadataGet(db, v), {
        image_id: 'img',
        min_ram: '512',
        long,
        disk_format: 'qcow2',
      });
      // Keys compare case-sensitively on every engine.
      await volumeGlanceMetadataCreate(db, v, 'Image_ID', 'upper');
      assert.equal((await volumeGlanceMetadataGet(db, v)).Image_ID, 'upper');
    });

    test('update merges and answers changed, new, then untouched keys; delete one key', async () => {
      const v = randomUUID();
      assert.deepEqual(await volumeGlanceMetadataUpdate(db, v, { image_id: 'abc', k1: 'v1' }), {
        image_id: 'abc',
        k1: 'v1',
      });
      const answer = await volumeGlanceMetadataUpdate(db, v, { k1: 'v1b', k2: 'v2' });
      assert.deepEqual(Object.entries(answer), [
        ['k1', 'v1b'],
        ['k2', 'v2'],
        ['image_id', 'abc'],
      ]);
      assert.deepEqual(Object.keys(await volumeGlanceMetadataUpdate(db, v, { k1: 'v1b' })), [
        'image_id',
        'k1',
        'k2',
      ]);
      assert.deepEqual(await volumeGlanceMetadataUpdate(db, v, {}), { image_id: 'abc', k1: 'v1b', k2: 'v2' });
      // The change is in place: one live row per key.
      assert.deepEqual(await liveRows(db, 'volume_id', v), [
        ['image_id', 'abc'],
        ['k1', 'v1b'],
        ['k2', 'v2'],
      ]);
      assert.equal(await volumeGlanceMetadataDeleteKey(db, v, 'k2'), true);
      assert.equal(await volumeGlanceMetadataDeleteKey(db, v, 'k2'), false);
      assert.deepEqual(await volumeGlanceMetadataGet(db, v), { image_id: 'abc', k1: 'v1b' });
      // Set again after a delete: a new row.
      await volumeGlanceMetadataUpdate(db, v, { k2: 'again' });
      assert.deepEqual(await volumeGlanceMetadataGet(db, v), { image_id: 'abc', k1: 'v1b', k2: 'again' });
    });

    test('copies: volume → snapshot → volume, volume → volume; each replaces the target’s rows', async () => {
      const src = randomUUID();
      const snap = randomUUID();
      const fromSnap = randomUUID();
      const clone = randomUUID();
      await volumeGlanceMetadataBulkCreate(db, src, { image_id: 'img-1', p: 'q' });
      assert.equal(await volumeGlanceMetadataCopyToSnapshot(db, snap, src), 2);
      // A retried copy does not double the rows.
      assert.equal(await volumeGlanceMetadataCopyToSnapshot(db, snap, src), 2);
      assert.deepEqual(await liveRows(db, 'snapshot_id', snap), [
        ['image_id', 'img-1'],
        ['p', 'q'],
      ]);
      const snapRow = await db
        .selectFrom('volume_glance_metadata')
        .selectAll()
        .where('snapshot_id', '=', snap)
        .where('deleted', '=', 0)
        .executeTakeFirstOrThrow();
      assert.equal(snapRow.volume_id, null);
      assert.equal(snapRow.deleted, 0);
      assert.match(snapRow.created_at, /^\d{4}-\d\d-\d\dT/);

      // The snapshot keeps what the volume had then.
      await volumeGlanceMetadataUpdate(db, src, { p: 'changed', n: '1' });
      assert.equal(await volumeGlanceMetadataCopyToVolume(db, fromSnap, snap), 2);
      assert.deepEqual(await volumeGlanceMetadataGet(db, fromSnap), { image_id: 'img-1', p: 'q' });
      assert.deepEqual(await volumeSnapshotGlanceMetadataGet(db, snap), { image_id: 'img-1', p: 'q' });

      await volumeGlanceMetadataBulkCreate(db, clone, { stale: 'x' });
      assert.equal(await volumeGlanceMetadataCopyFromVolumeToVolume(db, src, clone), 3);
      assert.deepEqual(await volumeGlanceMetadataGet(db, clone), { image_id: 'img-1', p: 'changed', n: '1' });

      // A source without any copies nothing (Cinder's GlanceMetadataNotFound, ignored by callers).
      assert.equal(await volumeGlanceMetadataCopyToSnapshot(db, randomUUID(), randomUUID()), 0);

      await volumeGlanceMetadataDeleteBySnapshot(db, snap);
      assert.deepEqual(await volumeSnapshotGlanceMetadataGet(db, snap), {});
      await volumeGlanceMetadataDeleteByVolume(db, clone);
      assert.deepEqual(await volumeGlanceMetadataGet(db, clone), {});
      assert.deepEqual(await volumeGlanceMetadataGet(db, src), { image_id: 'img-1', p: 'changed', n: '1' });
    });

    test('replace (a backup restore): exactly the given keys', async () => {
      const v = randomUUID();
      await volumeGlanceMetadataBulkCreate(db, v, { old: 'x', image_id: 'other' });
      await volumeGlanceMetadataReplace(db, v, { image_id: 'img-b' });
      assert.deepEqual(await volumeGlanceMetadataGet(db, v), { image_id: 'img-b' });
      await volumeGlanceMetadataReplace(db, v, {});
      assert.deepEqual(await volumeGlanceMetadataGet(db, v), {});
    });

    test('volume records carry glance_metadata (one query per page); list filter; destroy', async () => {
      const p = `pg-${randomUUID().slice(0, 8)}`;
      const [a, b, c] = [vol(p), vol(p), vol(p)];
      for (const v of [a, b, c]) await volumeCreate(db, v);
      await volumeGlanceMetadataBulkCreate(db, a.id, { image_id: 'i1', os: 'linux', size: '1024' });
      await volumeGlanceMetadataBulkCreate(db, b.id, { image_id: 'i2', os: 'linux' });
      assert.deepEqual((await volumeGet(db, a.id))?.glance_metadata, {
        image_id: 'i1',
        os: 'linux',
        size: '1024',
      });
      assert.deepEqual((await volumeGet(db, c.id))?.glance_metadata, {});
      const map = await volumeGlanceMetadataListGet(db, [a.id, b.id, c.id]);
      assert.deepEqual([...map.keys()].sort(), [a.id, b.id].sort());
      const all = await volumeGetAll(db, { project_id: p }, {});
      assert.deepEqual(Object.fromEntries(all.map((v) => [v.id, v.glance_metadata])), {
        [a.id]: map.get(a.id),
        [b.id]: map.get(b.id),
        [c.id]: {},
      });

      const ids = async (glance_metadata: Record<string, string> | null) =>
        (await volumeGetAll(db, { project_id: p, glance_metadata }, {})).map((v) => v.id).sort();
      assert.deepEqual(await ids({ os: 'linux' }), [a.id, b.id].sort());
      assert.deepEqual(await ids({ os: 'linux', image_id: 'i2' }), [b.id]);
      assert.deepEqual(await ids({ os: 'Linux' }), []);
      assert.deepEqual(await ids({ size: '1024' }), [a.id]);
      assert.deepEqual(await ids({}), [a.id, b.id, c.id].sort());
      assert.deepEqual(await ids(null), []);
      assert.deepEqual(await volumeSummary(db, { project_id: p, glance_metadata: { os: 'linux' } }), {
        count: 2,
        size: 2,
      });
      // A deleted key no longer matches.
      await volumeGlanceMetadataDeleteKey(db, b.id, 'os');
      assert.deepEqual(await ids({ os: 'linux' }), [a.id]);

      // Destroying a volume soft-deletes its image metadata (Cinder's VOLUME_DEPENDENT_MODELS).
      await volumeDestroy(db, a.id);
      assert.deepEqual(await volumeGlanceMetadataGet(db, a.id), {});
      assert.deepEqual(await ids({ os: 'linux' }), []);
    });
  });
}
