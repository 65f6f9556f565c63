/**
 * Every `src/db/api/*` function against every dialect (see dialects.ts): the same calls must give the
 * same answers on SQLite, PostgreSQL and MariaDB, including string comparison semantics.
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
import { currentVersion, migrateToLatest, migrationNames } from '../../src/db/migrator.js';
import {
  MarkerNotFound,
  volumeAdminMetadataGet,
  volumeAllocatedBy,
  volumeConditionalUpdate,
  volumeCreate,
  volumeDestroy,
  volumeGet,
  volumeGetAll,
  volumeMetadataDelete,
  volumeMetadataUpdate,
  volumeSummary,
  volumeUpdate,
  type VolumeCreateValues,
} from '../../src/db/api/volumes.js';
import {
  snapshotCountForVolume,
  snapshotCreate,
  snapshotGet,
  volumeConditionalUpdateGuarded,
  type SnapshotGuard,
} from '../../src/db/api/snapshots.js';
import { quotaUsagesCreate, quotaUsagesOfProject, quotaUsagesUpdate } from '../../src/db/api/quota-usages.js';
import { volumeGlanceMetadataBulkCreate } from '../../src/db/api/glance-metadata.js';
import {
  projectDefaultVolumeTypeId,
  volumeTypeCount,
  volumeTypeCreate,
  volumeTypeDefaultForProjects,
  volumeTypeDestroy,
  volumeTypeExtraSpecsDelete,
  volumeTypeExtraSpecsUpdate,
  volumeTypeGet,
  volumeTypeGetAll,
  volumeTypeGetByName,
  volumeTypeInUse,
  volumeTypeList,
  volumeTypeProjects,
  volumeTypeQuotaResourcesRename,
  volumeTypeUpdate,
} from '../../src/db/api/volume-types.js';
import { messageDestroy, messageGet, messageGetAll, messageList } from '../../src/db/api/messages.js';
import {
  serviceFind,
  serviceGetAll,
  serviceGetOrCreate,
  serviceHeartbeat,
  serviceIsUp,
  serviceMarkStopped,
  serviceSetDisabled,
} from '../../src/db/api/services.js';
import { claimVolumeHost } from '../../src/db/api/capacity-claims.js';
import { VolumeTypeNotFound, MessageNotFound } from '../../src/common/errors.js';
import { formatTimestamp } from '../../src/common/time.js';

const DEFAULT_TYPE = TEST_SEED.defaultVolumeTypeId;

/** A volume row with sensible defaults; `ts` makes created_at deterministic for sorting. */
function vol(over: Partial<VolumeCreateValues> & { id?: string; ts?: number } = {}): VolumeCreateValues {
  const { ts, ...rest } = over;
  return volumeRow({
    user_id: 'u1',
    project_id: 'p1',
    volume_type_id: DEFAULT_TYPE,
    ...(ts !== undefined ? { created_at: formatTimestamp(new Date(Date.UTC(2024, 0, 1) + ts * 1000)) } : {}),
    ...rest,
  });
}

for (const dialect of DIALECTS) {
  describe(`db api [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    test('migrations: newest version recorded, seeds present, a second sync is a no-op', async () => {
      assert.equal(await currentVersion(t.handle, TEST_SEED), migrationNames(t.handle.dialect).at(-1));
      const again = await migrateToLatest(t.handle, TEST_SEED);
      assert.equal(again.error, undefined);
      assert.deepEqual(again.results, []);
      const def = await volumeTypeGetByName(db, '__DEFAULT__');
      assert.equal(def?.id, DEFAULT_TYPE);
      const classes = await db.selectFrom('quota_classes').select(['resource', 'hard_limit']).execute();
      assert.deepEqual(
        Object.fromEntries(classes.map((c) => [c.resource, c.hard_limit])),
        TEST_SEED.quotaClassDefaults,
      );
    });

    test('volumes: create with metadata, get (project-scoped), update, conditional update', async () => {
      const v = vol({ project_id: 'pv', display_name: 'Disk 💾 ünï', metadata: { a: '1', b: '2' } });
      await volumeCreate(db, { ...v, admin_metadata: { readonly: 'False' } });
      const got = await volumeGet(db, v.id);
      assert.equal(got?.display_name, 'Disk 💾 ünï', '4-byte UTF-8 survives (utf8mb4)');
      assert.deepEqual(got?.metadata, { a: '1', b: '2' });
      assert.equal(got?.volume_type_name, '__DEFAULT__');
      assert.equal(typeof got?.size, 'number');
      assert.deepEqual(await volumeAdminMetadataGet(db, v.id), { readonly: 'False' });
      assert.equal(await volumeGet(db, v.id, 'other'), null);
      assert.equal((await volumeGet(db, v.id, 'pv'))?.id, v.id);

      assert.equal(await volumeUpdate(db, v.id, { status: 'in-use' }), true);
      // Same values again still counts as matched (MySQL reports found rows, not changed rows).
      assert.equal(await volumeUpdate(db, v.id, { status: 'in-use' }), true);
      assert.equal(await volumeUpdate(db, randomUUID(), { status: 'x' }), false);

      assert.equal(
        await volumeConditionalUpdate(db, v.id, { status: 'deleting' }, { status: ['available'] }),
        false,
      );
      assert.equal(
        await volumeConditionalUpdate(
          db,
          v.id,
          { status: 'deleting' },
          { status: ['in-use', 'available'], migration_status: [null, 'success'] },
        ),
        true,
      );
      assert.equal((await volumeGet(db, v.id))?.status, 'deleting');
    });

    test('conditional update: each call of one prepared shape applies its own row, values and expectations', async () => {
      const a = vol({ project_id: 'pcs', status: 'available' });
      const b = vol({ project_id: 'pcs', status: 'in-use', host: 'h1' });
      await volumeCreate(db, a);
      await volumeCreate(db, b);
      const cas = (id: string, status: string, expected: string[]) =>
        volumeConditionalUpdate(db, id, { status }, { status: expected });
      // One shape (one value, one expected column of one value), four calls.
      assert.equal(await cas(a.id, 'x1', ['in-use']), false);
      assert.equal(await cas(b.id, 'x2', ['in-use']), true);
      assert.equal(await cas(a.id, 'x3', ['available']), true);
      assert.equal(await cas(b.id, 'x4', ['available']), false);
      assert.equal((await volumeGet(db, a.id))?.status, 'x3');
      assert.equal((await volumeGet(db, b.id))?.status, 'x2');
      // NULL allowed or not: migration_status is NULL on both.
      assert.equal(
        await volumeConditionalUpdate(db, a.id, { status: 'm1' }, { migration_status: ['success'] }),
        false,
      );
      assert.equal(
        await volumeConditionalUpdate(db, a.id, { status: 'm2' }, { migration_status: ['success', null] }),
        true,
      );
      assert.equal(
        await volumeConditionalUpdate(db, a.id, { status: 'm3' }, { migration_status: [null] }),
        true,
      );
      // A value left undefined leaves its column alone; NULL writes NULL.
      assert.equal(await volumeConditionalUpdate(db, b.id, { status: 'u1', host: undefined }, {}), true);
      assert.equal((await volumeGet(db, b.id))?.host, 'h1');
      assert.equal(await volumeConditionalUpdate(db, b.id, { status: 'u2', host: null }, {}), true);
      const gotB = await volumeGet(db, b.id);
      assert.deepEqual([gotB?.status, gotB?.host], ['u2', null]);
      // An empty list of allowed values matches no row.
      assert.equal(await volumeConditionalUpdate(db, b.id, { status: 'never' }, { status: [] }), false);
    });

    test('conditional update with a snapshot guard: the guard decides, per volume', async () => {
      const plain = vol({ project_id: 'pg1' });
      const withSnap = vol({ project_id: 'pg1' });
      const withForeign = vol({ project_id: 'pg1' });
      for (const v of [plain, withSnap, withForeign]) await volumeCreate(db, v);
      const snap = (volumeId: string, project: string, status: string) =>
        snapshotCreate(db, {
          id: randomUUID(),
          volume_id: volumeId,
          user_id: 'u1',
          project_id: project,
          status,
          progress: null,
          volume_size: 1,
          display_name: null,
          display_description: null,
          volume_type_id: DEFAULT_TYPE,
          provider_location: null,
          use_quota: 1,
        });
      await snap(withSnap.id, 'pg1', 'available');
      await snap(withForeign.id, 'other', 'error');
      const guarded = (id: string, guard: SnapshotGuard) =>
        volumeConditionalUpdateGuarded(db, id, { status: 'available' }, { status: ['available'] }, guard);
      assert.equal(await guarded(withSnap.id, 'any'), false);
      assert.equal(await guarded(plain.id, 'any'), true);
      assert.equal(
        await guarded(withSnap.id, 'undeletable'),
        true,
        'an available snapshot does not block a cascade',
      );
      assert.equal(await guarded(withForeign.id, 'undeletable'), true);
      assert.equal(await guarded(withForeign.id, 'undeletable_or_foreign'), false);
      assert.equal(await guarded(withSnap.id, 'undeletable_or_foreign'), true);
      assert.equal(await guarded(withForeign.id, 'none'), true);
    });

    test('quota usages: one update sets each row its own reserved and in_use, prepared per shape', async () => {
      const project = 'pqu';
      await quotaUsagesCreate(
        db,
        t.handle,
        project,
        ['volumes', 'gigabytes', 'snapshots'],
        formatTimestamp(new Date()),
      );
      const rows = () => quotaUsagesOfProject(db, project);
      const ids = new Map(
        (
          await db
            .selectFrom('quota_usages')
            .select(['id', 'resource'])
            .where('project_id', '=', project)
            .execute()
        ).map((r) => [r.resource, r.id]),
      );
      const [vols, gbs, snaps] = ['volumes', 'gigabytes', 'snapshots'].map((r) => ids.get(r)!);
      const now = formatTimestamp(new Date());
      const update = (entries: [number, { reserved?: number; in_use?: number }][]) =>
        quotaUsagesUpdate(db, new Map(entries), now);
      await update([
        [vols!, { reserved: 1 }],
        [gbs!, { reserved: 10 }],
      ]);
      // The same shape again, on other rows with other values.
      await update([
        [snaps!, { reserved: 3 }],
        [vols!, { reserved: 2 }],
      ]);
      await update([
        [gbs!, { in_use: 7 }],
        [snaps!, { reserved: 0, in_use: 4 }],
      ]);
      const by = Object.fromEntries((await rows()).map((r) => [r.resource, [r.in_use, r.reserved]]));
      assert.deepEqual(by, { volumes: [0, 2], gigabytes: [7, 10], snapshots: [4, 0] });
    });

    test('volumes: user, image and visible admin metadata each read into their own place', async () => {
      const a = vol({ project_id: 'pkv', metadata: { z: 'user-z', k: 'user-k' } });
      const b = vol({ project_id: 'pkv', metadata: { k: 'b-user' } });
      const bare = vol({ project_id: 'pkv' });
      await volumeCreate(db, {
        ...a,
        admin_metadata: { attached_mode: 'rw', hidden: 'x', readonly: 'True' },
      });
      await volumeCreate(db, b);
      await volumeCreate(db, bare);
      await volumeGlanceMetadataBulkCreate(db, a.id, { k: 'image-k', image_id: 'img' });
      await volumeGlanceMetadataBulkCreate(db, b.id, { min_disk: '1' });
      const check = (got: Awaited<ReturnType<typeof volumeGet>>) => {
        // The same key in two tables stays apart; each table keeps its keys' written order.
        assert.deepEqual(Object.entries(got?.metadata ?? {}), [
          ['z', 'user-z'],
          ['k', 'user-k'],
        ]);
        assert.deepEqual(got?.glance_metadata, { k: 'image-k', image_id: 'img' });
        assert.deepEqual(got?.visible_admin_metadata, { attached_mode: 'rw', readonly: 'True' });
      };
      check(await volumeGet(db, a.id));
      const listed = await volumeGetAll(db, { project_id: 'pkv' }, {});
      check(listed.find((v) => v.id === a.id) ?? null);
      const gotB = listed.find((v) => v.id === b.id);
      assert.deepEqual(gotB?.metadata, { k: 'b-user' });
      assert.deepEqual(gotB?.glance_metadata, { min_disk: '1' });
      assert.equal(gotB?.visible_admin_metadata, undefined);
      const gotBare = await volumeGet(db, bare.id);
      assert.deepEqual([gotBare?.metadata, gotBare?.glance_metadata], [{}, {}]);
    });

    test('volumes: metadata merge, replace and delete', async () => {
      const v = vol({ project_id: 'pm', metadata: { a: '1', b: '2' } });
      await volumeCreate(db, v);
      assert.deepEqual(await volumeMetadataUpdate(db, v.id, { b: '3', c: '4' }, false), {
        a: '1',
        b: '3',
        c: '4',
      });
      assert.deepEqual((await volumeGet(db, v.id))?.metadata, { a: '1', b: '3', c: '4' });
      assert.deepEqual(await volumeMetadataUpdate(db, v.id, { c: '5' }, true), { c: '5' });
      assert.deepEqual((await volumeGet(db, v.id))?.metadata, { c: '5' });
      await volumeMetadataUpdate(db, v.id, { ro: 'True' }, false, 'volume_admin_metadata');
      assert.deepEqual(await volumeAdminMetadataGet(db, v.id), { ro: 'True' });
      assert.equal(await volumeMetadataDelete(db, v.id, 'c'), true);
      assert.equal(await volumeMetadataDelete(db, v.id, 'c'), false);
      assert.deepEqual((await volumeGet(db, v.id))?.metadata, {});
    });

    test('volumes: list filters, sort, marker pagination, summary, allocated by host, destroy', async () => {
      const p = 'plist';
      const vs = [
        vol({ project_id: p, ts: 1, size: 1, display_name: 'alpha', host: 'h1@b#p1', metadata: { k: 'v' } }),
        vol({ project_id: p, ts: 2, size: 2, display_name: 'Alpha', host: 'h1@b#p1' }),
        vol({ project_id: p, ts: 3, size: 3, display_name: 'beta', host: 'h1@b#p2', status: 'error' }),
        vol({ project_id: p, ts: 4, size: 4, display_name: 'alpha ', host: 'h2@b#p1' }),
        vol({ project_id: p, ts: 5, size: 5, display_name: null, host: null }),
      ];
      for (const v of vs) await volumeCreate(db, v);
      const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
      const byTs = (...i: number[]) => i.map((n) => vs[n - 1]!.id);

      assert.deepEqual(ids(await volumeGetAll(db, { project_id: p }, {})), byTs(5, 4, 3, 2, 1));
      // Exact, case- and space-sensitive name matches on every engine.
      assert.deepEqual(
        ids(await volumeGetAll(db, { project_id: p, columns: { display_name: 'alpha' } }, {})),
        byTs(1),
      );
      assert.deepEqual(
        ids(await volumeGetAll(db, { project_id: p, columns: { display_name: 'ALPHA' } }, {})),
        [],
      );
      assert.deepEqual(
        ids(await volumeGetAll(db, { project_id: p, columns: { status: ['error', 'x'] } }, {})),
        byTs(3),
      );
      assert.deepEqual(ids(await volumeGetAll(db, { project_id: p, columns: { host: null } }, {})), byTs(5));
      assert.deepEqual(ids(await volumeGetAll(db, { project_id: p, metadata: { k: 'v' } }, {})), byTs(1));
      assert.deepEqual(
        ids(await volumeGetAll(db, { project_id: p, like: { display_name: 'et' } }, {})),
        byTs(3),
      );

      const sort = [{ key: 'size', dir: 'asc' as const }];
      const page1 = await volumeGetAll(db, { project_id: p }, { sort, limit: 2 });
      assert.deepEqual(ids(page1), byTs(1, 2));
      const page2 = await volumeGetAll(db, { project_id: p }, { sort, limit: 2, marker: page1[1]!.id });
      assert.deepEqual(ids(page2), byTs(3, 4));
      assert.deepEqual(
        ids(await volumeGetAll(db, { project_id: p }, { sort, limit: 2, offset: 3 })),
        byTs(4, 5),
      );
      // Marker on a null sort key (display_name of #5 is null).
      const byName = await volumeGetAll(
        db,
        { project_id: p },
        { sort: [{ key: 'display_name', dir: 'asc' }] },
      );
      assert.equal(byName.length, 5);
      await assert.rejects(volumeGetAll(db, { project_id: p }, { marker: randomUUID() }), MarkerNotFound);

      const s = await volumeSummary(db, { project_id: p });
      assert.deepEqual(s, { count: 5, size: 15 });
      assert.equal(typeof s.count, 'number');
      assert.deepEqual(await volumeSummary(db, { project_id: 'nobody' }), { count: 0, size: 0 });

      const alloc = await volumeAllocatedBy(db, 'host', 'h1@b');
      assert.deepEqual([...alloc.entries()].sort(), [
        ['h1@b#p1', 3],
        ['h1@b#p2', 3],
      ]);

      await volumeDestroy(db, vs[0]!.id);
      assert.equal(await volumeGet(db, vs[0]!.id), null);
      const gone = await db.selectFrom('volumes').selectAll().where('id', '=', vs[0]!.id).executeTakeFirst();
      assert.equal(gone?.status, 'deleted');
      assert.equal(gone?.deleted, 1);
      assert.deepEqual(await volumeSummary(db, { project_id: p }), { count: 4, size: 14 });
    });

    test('snapshots: get and count', async () => {
      const v = vol({ project_id: 'ps' });
      await volumeCreate(db, v);
      assert.equal(await snapshotCountForVolume(db, v.id), 0);
      const sid = randomUUID();
      for (const id of [sid, randomUUID()])
        await db
          .insertInto('snapshots')
          .values({
            id,
            volume_id: v.id,
            user_id: 'u1',
            project_id: 'ps',
            status: 'available',
            progress: '100%',
            volume_size: 1,
            display_name: 's',
            display_description: null,
            volume_type_id: DEFAULT_TYPE,
            provider_location: null,
            use_quota: 1,
            created_at: formatTimestamp(new Date()),
            updated_at: null,
            deleted_at: null,
            deleted: 0,
          })
          .execute();
      const n = await snapshotCountForVolume(db, v.id);
      assert.equal(n, 2);
      assert.equal(typeof n, 'number');
      assert.equal((await snapshotGet(db, sid))?.volume_id, v.id);
      assert.equal(await snapshotGet(db, sid, 'other'), null);
    });

    test('volume types: create, names are case- and space-sensitive, specs, access, list, destroy', async () => {
      const id = randomUUID();
      await volumeTypeCreate(db, {
        id,
        name: 'Gold',
        description: 'fast',
        is_public: false,
        extra_specs: { volume_backend_name: 'b1', 'RESKEY:availability_zones': 'az1, az2' },
        projects: ['pa', 'pb'],
      });
      assert.equal((await volumeTypeGetByName(db, 'Gold'))?.id, id);
      assert.equal(await volumeTypeGetByName(db, 'gold'), null, 'no case folding (MySQL *_ci)');
      assert.equal(
        await volumeTypeGetByName(db, 'Gold '),
        null,
        'no trailing-space padding (MySQL PAD SPACE)',
      );
      const rec = await volumeTypeGet(db, id);
      assert.equal(rec?.is_public, false);
      assert.deepEqual(rec?.extra_specs, {
        volume_backend_name: 'b1',
        'RESKEY:availability_zones': 'az1, az2',
      });
      assert.deepEqual((await volumeTypeProjects(db, id)).sort(), ['pa', 'pb']);

      // Updating a spec to its current value must not add a second row.
      await volumeTypeExtraSpecsUpdate(db, id, { volume_backend_name: 'b1', x: 'y' });
      const specRows = await db
        .selectFrom('volume_type_extra_specs')
        .select('key')
        .where('volume_type_id', '=', id)
        .where('deleted', '=', 0)
        .execute();
      assert.equal(specRows.length, 3);
      assert.equal(await volumeTypeExtraSpecsDelete(db, id, 'x'), true);
      assert.equal(await volumeTypeExtraSpecsDelete(db, id, 'x'), false);

      const publicIds = (await volumeTypeGetAll(db, { isPublic: true })).map((r) => r.id);
      assert.ok(publicIds.includes(DEFAULT_TYPE) && !publicIds.includes(id));
      assert.ok((await volumeTypeGetAll(db, { isPublic: true, projectId: 'pa' })).some((r) => r.id === id));
      assert.deepEqual(
        (await volumeTypeGetAll(db, { isPublic: false })).map((r) => r.id),
        [id],
      );

      const listed = await volumeTypeList(
        db,
        { isPublic: null, projectId: null, extraSpecs: { 'RESKEY:availability_zones': 'az2' } },
        {},
      );
      assert.deepEqual(
        listed.map((r) => r.id),
        [id],
      );
      assert.deepEqual(
        (await volumeTypeList(db, { isPublic: null, projectId: null, columns: { name: 'gold' } }, {})).length,
        0,
      );
      const all = await volumeTypeList(
        db,
        { isPublic: null, projectId: null },
        { sort: [{ key: 'name', dir: 'asc' }] },
      );
      assert.deepEqual(
        all.map((r) => r.name),
        ['Gold', '__DEFAULT__'],
        'code-point order: upper case before underscore',
      );
      const after1 = await volumeTypeList(
        db,
        { isPublic: null, projectId: null },
        { sort: [{ key: 'name', dir: 'asc' }], marker: all[0]!.id },
      );
      assert.deepEqual(
        after1.map((r) => r.name),
        ['__DEFAULT__'],
      );
      await assert.rejects(
        volumeTypeList(db, { isPublic: null, projectId: null }, { marker: randomUUID() }),
        VolumeTypeNotFound,
      );
      const count = await volumeTypeCount(db);
      assert.equal(count, 2);
      assert.equal(typeof count, 'number');

      await volumeTypeUpdate(db, id, { name: 'Platinum', is_public: true });
      assert.equal((await volumeTypeGet(db, id))?.name, 'Platinum');
      assert.equal((await volumeTypeGet(db, id))?.is_public, true);

      assert.equal(await volumeTypeInUse(db, id), false);
      const v = vol({ project_id: 'pt', volume_type_id: id });
      await volumeCreate(db, v);
      assert.equal(await volumeTypeInUse(db, id), true);
      assert.equal((await volumeGet(db, v.id))?.volume_type_name, 'Platinum');

      assert.equal(await projectDefaultVolumeTypeId(db, 'pt'), null);
      await db
        .insertInto('default_volume_types')
        .values({
          project_id: 'pt',
          volume_type_id: id,
          created_at: formatTimestamp(new Date()),
          updated_at: null,
        })
        .execute();
      assert.equal(await projectDefaultVolumeTypeId(db, 'pt'), id);
      assert.deepEqual(await volumeTypeDefaultForProjects(db, id), ['pt']);

      await volumeDestroy(db, v.id);
      await volumeTypeDestroy(db, id);
      assert.equal(await volumeTypeGet(db, id), null);
      assert.equal((await volumeTypeGet(db, id, true))?.deleted, true);
      assert.deepEqual(await volumeTypeProjects(db, id), []);
    });

    test('volume types: renaming moves per-type quota rows, retiring a stale row of the new name', async () => {
      const now = formatTimestamp(new Date());
      const usage = (project_id: string, resource: string, in_use: number) => ({
        project_id,
        resource,
        in_use,
        reserved: 0,
        until_refresh: null,
        created_at: now,
        deleted: 0,
      });
      await db
        .insertInto('quota_usages')
        .values([
          usage('pr1', 'volumes_old', 2),
          usage('pr1', 'volumes_new', 7),
          usage('pr2', 'volumes_new', 1),
        ])
        .execute();
      await db
        .insertInto('quotas')
        .values({
          project_id: 'pr1',
          resource: 'gigabytes_old',
          hard_limit: 50,
          allocated: 0,
          created_at: now,
          deleted: 0,
        })
        .execute();
      await volumeTypeQuotaResourcesRename(db, 'old', 'new');
      const live = await db
        .selectFrom('quota_usages')
        .select(['project_id', 'resource', 'in_use', 'until_refresh'])
        .where('resource', 'like', 'volumes_%')
        .where('project_id', 'in', ['pr1', 'pr2'])
        .where('deleted', '=', 0)
        .orderBy('project_id')
        .execute();
      assert.deepEqual(live, [
        { project_id: 'pr1', resource: 'volumes_new', in_use: 2, until_refresh: 1 },
        { project_id: 'pr2', resource: 'volumes_new', in_use: 1, until_refresh: null },
      ]);
      const retired = await db
        .selectFrom('quota_usages')
        .select(['id', 'deleted'])
        .where('project_id', '=', 'pr1')
        .where('deleted', '!=', 0)
        .execute();
      assert.equal(retired.length, 1);
      assert.equal(retired[0]!.deleted, retired[0]!.id, 'soft-deleted usage rows take deleted = id');
      const q = await db.selectFrom('quotas').select('resource').where('project_id', '=', 'pr1').execute();
      assert.deepEqual(q, [{ resource: 'gigabytes_new' }]);
    });

    test('quota usages: a second live row of the same key is refused by the unique index', async () => {
      const now = formatTimestamp(new Date());
      const row = {
        project_id: 'pu',
        resource: 'volumes',
        in_use: 0,
        reserved: 0,
        until_refresh: null,
        created_at: now,
        deleted: 0,
      };
      await db.insertInto('quota_usages').values(row).execute();
      await assert.rejects(db.insertInto('quota_usages').values(row).execute());
      // Case matters: 'Volumes' is another resource, also on MariaDB.
      await db
        .insertInto('quota_usages')
        .values({ ...row, resource: 'Volumes' })
        .execute();
    });

    test('messages: get, list with filters, like, patterns, marker; destroy', async () => {
      const mk = (i: number, over: Record<string, string> = {}) => ({
        id: randomUUID(),
        project_id: 'pmsg',
        request_id: `req-${i}`,
        resource_type: 'VOLUME',
        resource_uuid: randomUUID(),
        event_id: `VOLUME_VOLUME_00${i}_00${i}`,
        message_level: 'ERROR',
        expires_at: null,
        created_at: formatTimestamp(new Date(Date.UTC(2024, 0, 1, 0, 0, i))),
        updated_at: null,
        deleted_at: null,
        deleted: 0 as const,
        ...over,
      });
      const ms = [mk(1), mk(2), mk(3, { resource_type: 'SNAPSHOT' })];
      await db.insertInto('messages').values(ms).execute();
      assert.equal((await messageGet(db, ms[0]!.id))?.request_id, 'req-1');
      assert.equal(await messageGet(db, ms[0]!.id, 'other'), null);
      const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
      assert.deepEqual(ids(await messageGetAll(db, { project_id: 'pmsg' }, {})), [
        ms[2]!.id,
        ms[1]!.id,
        ms[0]!.id,
      ]);
      assert.deepEqual(
        ids(await messageGetAll(db, { project_id: 'pmsg' }, { marker: ms[2]!.id, limit: 1 })),
        [ms[1]!.id],
      );
      assert.deepEqual(
        ids(await messageList(db, { projectId: 'pmsg', columns: { resource_type: 'SNAPSHOT' } }, {})),
        [ms[2]!.id],
      );
      assert.deepEqual(
        ids(await messageList(db, { projectId: 'pmsg', columns: { resource_type: 'snapshot' } }, {})),
        [],
      );
      assert.deepEqual(ids(await messageList(db, { projectId: 'pmsg', like: { request_id: 'q-2' } }, {})), [
        ms[1]!.id,
      ]);
      assert.deepEqual(
        ids(await messageList(db, { projectId: 'pmsg', eventIdPatterns: ['VOLUME_VOLUME_001_%'] }, {})),
        [ms[0]!.id],
      );
      assert.deepEqual(ids(await messageList(db, { projectId: 'pmsg' }, { marker: ms[1]!.id })), [ms[0]!.id]);
      await assert.rejects(messageList(db, { projectId: 'pmsg' }, { marker: randomUUID() }), MessageNotFound);
      await messageDestroy(db, ms[0]!.id);
      assert.equal(await messageGet(db, ms[0]!.id), null);
    });

    test('services: get-or-create, heartbeat, list, find by host level, up/down, disable', async () => {
      const base = { binary: 'cinder-volume', topic: 'cinder-volume', availability_zone: 'nova' };
      const s1 = await serviceGetOrCreate(db, { ...base, host: 'node1@lvm' });
      const again = await serviceGetOrCreate(db, { ...base, host: 'node1@lvm', availability_zone: 'az9' });
      assert.equal(again.id, s1.id);
      assert.equal(again.availability_zone, 'az9');
      await serviceGetOrCreate(db, { ...base, host: 'node1@ceph' });
      await serviceGetOrCreate(db, { ...base, host: 'Node1@lvm' });
      await serviceGetOrCreate(db, {
        binary: 'cinder-scheduler',
        topic: 'cinder-scheduler',
        availability_zone: 'nova',
        host: 'node1',
      });
      await serviceHeartbeat(db, s1.id);
      await serviceHeartbeat(db, s1.id);
      const row = (await serviceGetAll(db, { host: 'node1@lvm' }))[0]!;
      assert.equal(row.report_count, 2);
      assert.equal(typeof row.id, 'number');
      assert.equal((await serviceGetAll(db, { binary: 'cinder-volume' })).length, 3);
      assert.deepEqual(
        (await serviceGetAll(db, { host: 'node1@LVM' })).length,
        0,
        'host comparison is case-sensitive',
      );
      assert.deepEqual(
        (await serviceFind(db, { host: 'node1', binary: 'cinder-volume' })).map((r) => r.host).sort(),
        ['node1@ceph', 'node1@lvm'],
      );
      assert.deepEqual(
        (await serviceFind(db, { host: 'node1@lvm#pool', binary: 'cinder-volume' })).map((r) => r.host),
        [],
      );
      assert.equal(serviceIsUp(row, 60), true);
      await serviceMarkStopped(db, s1.id, 60);
      assert.equal(serviceIsUp((await serviceGetAll(db, { host: 'node1@lvm' }))[0]!, 60), false);
      await serviceSetDisabled(db, s1.id, true, 'maintenance');
      const dis = (await serviceGetAll(db, { host: 'node1@lvm' }))[0]!;
      assert.equal(dis.disabled, 1);
      assert.equal(dis.disabled_reason, 'maintenance');
      assert.ok(dis.modified_at);
    });

    test('capacity claims: a claim fits or is refused by what the pool already holds', async () => {
      const base = { binary: 'cinder-volume', topic: 'cinder-volume', availability_zone: 'nova' };
      await serviceGetOrCreate(db, { ...base, host: 'cap@b' });
      const a = vol({ project_id: 'pc', size: 6 });
      const b = vol({ project_id: 'pc', size: 6 });
      await volumeCreate(db, a);
      await volumeCreate(db, b);
      const args = { volumeHost: 'cap@b#p', limitGb: 10, values: { status: 'creating' } };
      const r1 = await claimVolumeHost(t.handle, { ...args, volumeId: a.id, size: 6 });
      assert.deepEqual(r1, { claimed: true, allocatedGb: 6, updated: true });
      const r2 = await claimVolumeHost(t.handle, { ...args, volumeId: b.id, size: 6 });
      assert.deepEqual(r2, { claimed: false, allocatedGb: 6, updated: false });
      assert.equal((await volumeGet(db, a.id))?.host, 'cap@b#p');
      assert.equal((await volumeGet(db, b.id))?.host, null);
    });

    test('conditional update is atomic: 20 concurrent CAS available→deleting from 5 pools, one wins', async () => {
      const v = vol({ project_id: 'pcas' });
      await volumeCreate(db, v);
      const handles = [t.handle, ...(await Promise.all([1, 2, 3, 4].map(() => t.open())))];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          volumeConditionalUpdate(
            handles[i % handles.length]!.db,
            v.id,
            { status: 'deleting', previous_status: `w${i}` },
            { status: ['available'] },
          ),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const row = await volumeGet(db, v.id);
      assert.equal(row?.status, 'deleting');
      assert.equal(row?.previous_status, `w${results.indexOf(true)}`);
    });
  });
}
