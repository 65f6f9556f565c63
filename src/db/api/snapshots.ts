import type { SelectQueryBuilder } from 'kysely';
import type { Db, PageRequest } from './common.js';
import { paginate, softDeleteValues, withTieBreakers } from './common.js';
import { conditionalUpdate, rowUpdate, type Expected, type NamedCondition } from './conditional-update.js';
import {
  metadataDelete,
  metadataDeleteAll,
  metadataGetMany,
  metadataInsert,
  metadataUpdate,
} from './resource-metadata.js';
import type { Database, SnapshotsTable, VolumesTable } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { MarkerNotFound } from './volumes.js';
import { preparedQuery } from '../prepared-query.js';

/** A snapshot row with its user metadata. */
export interface SnapshotRecord extends SnapshotsTable {
  metadata: Record<string, string>;
}

/** Values of a new snapshot row (Cinder's `snapshot_create`). */
export type SnapshotCreateValues = Omit<
  SnapshotsTable,
  'created_at' | 'updated_at' | 'deleted_at' | 'deleted'
> & {
  created_at?: string;
  metadata?: Record<string, string>;
};

/** Inserts a snapshot and its metadata; returns the record as written. */
export async function snapshotCreate(db: Db, values: SnapshotCreateValues): Promise<SnapshotRecord> {
  const { metadata = {}, ...row } = values;
  const now = row.created_at ?? isoNow();
  const full: SnapshotsTable = { ...row, created_at: now, updated_at: null, deleted_at: null, deleted: 0 };
  await db.insertInto('snapshots').values(full).execute();
  await metadataInsert(db, 'snapshot_metadata', row.id, metadata, now);
  return { ...full, metadata: { ...metadata } };
}

/** Adds user metadata to snapshot rows, one query whatever the row count. */
async function hydrate(db: Db, rows: SnapshotsTable[]): Promise<SnapshotRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const bySnapshot = await metadataGetMany(db, 'snapshot_metadata', ids);
  // The rows are fresh from the driver: completed in place, not copied (as volumes.ts's hydrate).
  return rows.map((r) => Object.assign(r, { metadata: bySnapshot.get(r.id) ?? {} }));
}

/** One live snapshot, or null (project-scoped when `projectId` is given). */
export async function snapshotGet(
  db: Db,
  id: string,
  projectId?: string | null,
): Promise<SnapshotRecord | null> {
  let q = db.selectFrom('snapshots').selectAll().where('id', '=', id).where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  const row = await q.executeTakeFirst();
  return row ? ((await hydrate(db, [row]))[0] ?? null) : null;
}

/** The live snapshots of a volume, oldest first. */
export async function snapshotsForVolume(db: Db, volumeId: string): Promise<SnapshotRecord[]> {
  const rows = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('volume_id', '=', volumeId)
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return hydrate(db, rows);
}

/** Count of live snapshots of a volume (a volume with snapshots is not deletable without cascade). */
export async function snapshotCountForVolume(db: Db, volumeId: string): Promise<number> {
  const r = (await liveSnapshotsOfVolume(db, { volumeId })).rows[0];
  return Number(r?.n ?? 0);
}

const liveSnapshotsOfVolume = preparedQuery((db, v: { volumeId: string }) =>
  db
    .selectFrom('snapshots')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('volume_id', '=', v.volumeId)
    .where('deleted', '=', 0),
);

/** Updates columns of a live snapshot; returns whether a row changed. */
export function snapshotUpdate(db: Db, id: string, values: Partial<SnapshotsTable>): Promise<boolean> {
  return rowUpdate(db, 'snapshots', id, values);
}

/**
 * Compare-and-swap on a snapshot (Cinder's `conditional_update`): applies `values` only while the
 * row's columns still hold one of the `expected` values. Returns whether it did.
 */
export function snapshotConditionalUpdate(
  db: Db,
  id: string,
  values: Partial<SnapshotsTable>,
  expected: Expected<'snapshots'>,
): Promise<boolean> {
  return conditionalUpdate(db, 'snapshots', id, values, expected);
}

/** Soft-deletes a snapshot (status `deleted`) and its metadata (`snapshot_destroy`). */
export async function snapshotDestroy(db: Db, id: string): Promise<void> {
  const sd = softDeleteValues();
  await db
    .updateTable('snapshots')
    .set({ ...sd, status: 'deleted' })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .execute();
  await metadataDeleteAll(db, 'snapshot_metadata', id, sd);
}

// ---- volume delete guard -------------------------------------------------------------------------

/**
 * Which snapshots stop a volume from going to `deleting` (Cinder's delete filters):
 * `any` — any live snapshot (plain delete); `undeletable` — a live snapshot not `available` or
 * `error` (cascade); `undeletable_or_foreign` — that, or a live snapshot of another project
 * (cascade by a non-admin); `none` — no snapshot condition (cascade + force).
 */
export type SnapshotGuard = 'any' | 'undeletable' | 'undeletable_or_foreign' | 'none';

/**
 * `volume.conditional_update(values, expected, filters)` of `API.delete`: moves the volume only
 * while its columns match `expected` and no snapshot named by `guard` exists, in one statement.
 */
export function volumeConditionalUpdateGuarded(
  db: Db,
  id: string,
  values: Partial<VolumesTable>,
  expected: Expected<'volumes'>,
  guard: SnapshotGuard,
): Promise<boolean> {
  if (guard === 'none') return conditionalUpdate(db, 'volumes', id, values, expected);
  return conditionalUpdate(db, 'volumes', id, values, expected, NO_BLOCKING_SNAPSHOT[guard]);
}

/** Per guard: the volume has no live snapshot that the guard says stops its delete. */
const NO_BLOCKING_SNAPSHOT = {
  any: noBlockingSnapshot('any'),
  undeletable: noBlockingSnapshot('undeletable'),
  undeletable_or_foreign: noBlockingSnapshot('undeletable_or_foreign'),
};

function noBlockingSnapshot(guard: Exclude<SnapshotGuard, 'none'>): NamedCondition<'volumes'> {
  return {
    name: `no-snapshot-${guard}`,
    where: (eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('snapshots as s')
            .select('s.id')
            .whereRef('s.volume_id', '=', 'volumes.id')
            .where('s.deleted', '=', 0)
            .where((sb) => {
              if (guard === 'any') return sb.lit(true);
              const undeletable = sb('s.status', 'not in', ['available', 'error']);
              if (guard === 'undeletable') return undeletable;
              return sb.or([undeletable, sb('s.project_id', '!=', sb.ref('volumes.project_id'))]);
            }),
        ),
      ),
  };
}

// ---- listing ---------------------------------------------------------------------------------------

/** Filters of a snapshot list, already mapped to columns. */
export interface SnapshotFilters {
  project_id?: string | null;
  /** Column equality filters. */
  columns?: Partial<Record<keyof SnapshotsTable, string | number | null>>;
  /** `name~`-style substring filters. */
  like?: Partial<Record<keyof SnapshotsTable, string>>;
  metadata?: Record<string, string>;
  /** Filters on the snapshot's volume. */
  volume?: Partial<Record<'availability_zone' | 'host' | 'cluster_name', string>>;
}

type SnapshotQuery = SelectQueryBuilder<Database, 'snapshots', object>;

function applyFilters(q: SnapshotQuery, f: SnapshotFilters): SnapshotQuery {
  q = q.where('snapshots.deleted', '=', 0);
  if (f.project_id) q = q.where('snapshots.project_id', '=', f.project_id);
  for (const [col, val] of Object.entries(f.columns ?? {}) as [keyof SnapshotsTable, unknown][]) {
    if (val === null) q = q.where(`snapshots.${col}`, 'is', null);
    else q = q.where(`snapshots.${col}`, '=', val as never);
  }
  for (const [col, val] of Object.entries(f.like ?? {}) as [keyof SnapshotsTable, string][])
    q = q.where(`snapshots.${col}`, 'like', `%${val}%`);
  for (const [key, value] of Object.entries(f.metadata ?? {})) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('snapshot_metadata as sm')
          .select('sm.id')
          .whereRef('sm.snapshot_id', '=', 'snapshots.id')
          .where('sm.key', '=', key)
          .where('sm.value', '=', value)
          .where('sm.deleted', '=', 0),
      ),
    );
  }
  const vol = f.volume ?? {};
  if (Object.keys(vol).length) {
    q = q.where((eb) => {
      let sub = eb.selectFrom('volumes as v').select('v.id').whereRef('v.id', '=', 'snapshots.volume_id');
      for (const [col, val] of Object.entries(vol) as [
        'availability_zone' | 'host' | 'cluster_name',
        string,
      ][])
        sub =
          col === 'availability_zone'
            ? sub.where(`v.${col}`, '=', val)
            : sub.where(`v.${col}`, 'like', `${val}%`);
      return eb.exists(sub);
    });
  }
  return q;
}

/** A page of snapshots, sorted and paginated like Cinder's `paginate_query` (default created_at, id desc). */
export async function snapshotGetAll(
  db: Db,
  filters: SnapshotFilters,
  page: PageRequest,
): Promise<SnapshotRecord[]> {
  const sort = withTieBreakers(page.sort, ['id']);
  const q = applyFilters(db.selectFrom('snapshots'), filters).selectAll('snapshots');
  let marker: SnapshotsTable | undefined;
  if (page.marker) {
    marker = await db
      .selectFrom('snapshots')
      .selectAll()
      .where('id', '=', page.marker)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!marker) throw new MarkerNotFound(page.marker);
  }
  return hydrate(db, await paginate(q, 'snapshots', sort, page, marker ?? null).execute());
}

/** How many snapshots match `filters` (`with_count`). */
export async function snapshotCount(db: Db, filters: SnapshotFilters): Promise<number> {
  const row = await applyFilters(db.selectFrom('snapshots'), filters)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

// ---- metadata ------------------------------------------------------------------------------------

/**
 * Sets a snapshot's user metadata: merges `meta` into the existing keys, or with `replace` makes
 * the stored set exactly `meta`. Returns the resulting dict.
 */
export function snapshotMetadataUpdate(
  db: Db,
  snapshotId: string,
  meta: Record<string, string>,
  replace: boolean,
): Promise<Record<string, string>> {
  return metadataUpdate(db, 'snapshot_metadata', snapshotId, meta, replace);
}

/** Deletes one metadata key; false when it was not there. */
export function snapshotMetadataDelete(db: Db, snapshotId: string, key: string): Promise<boolean> {
  return metadataDelete(db, 'snapshot_metadata', snapshotId, key);
}

/** A volume's live snapshots take its new type (retype). */
export async function snapshotsSetVolumeType(db: Db, volumeId: string, volumeTypeId: string): Promise<void> {
  await db
    .updateTable('snapshots')
    .set({ volume_type_id: volumeTypeId, updated_at: isoNow() })
    .where('volume_id', '=', volumeId)
    .where('deleted', '=', 0)
    .execute();
}

/**
 * Live snapshots of the volumes of `host` (`host@backend`, any pool) left `creating` or
 * `deleting`; with `untouchedBefore`, only those not updated (or, never updated, created) since.
 */
export async function snapshotsInProgressOnHost(
  db: Db,
  host: string,
  untouchedBefore: string | null,
): Promise<{ id: string; status: string }[]> {
  let q = db
    .selectFrom('snapshots')
    .innerJoin('volumes', 'volumes.id', 'snapshots.volume_id')
    .select(['snapshots.id as id', 'snapshots.status as status'])
    .where('snapshots.deleted', '=', 0)
    .where('snapshots.status', 'in', ['creating', 'deleting'])
    .where('volumes.host', 'like', `${host}#%`);
  if (untouchedBefore !== null) {
    const cutoff = untouchedBefore;
    q = q.where((eb) =>
      eb.or([
        eb('snapshots.updated_at', '<', cutoff),
        eb.and([eb('snapshots.updated_at', 'is', null), eb('snapshots.created_at', '<', cutoff)]),
      ]),
    );
  }
  return q.execute();
}

/**
 * Live snapshots of the volumes of a service (Cinder's `_get_my_snapshots`): those whose volume's
 * `column` (its cluster when clustered, else its host) is `where` or any pool of it.
 */
export function snapshotsOfService(
  db: Db,
  by: { column: 'volumes.cluster_name' | 'volumes.host'; where: string },
): Promise<{ id: string; volume_id: string; size: number }[]> {
  const { column: col, where } = by;
  return db
    .selectFrom('snapshots')
    .innerJoin('volumes', 'volumes.id', 'snapshots.volume_id')
    .select(['snapshots.id as id', 'snapshots.volume_id as volume_id', 'snapshots.volume_size as size'])
    .where('snapshots.deleted', '=', 0)
    .where((eb) => eb.or([eb(col, '=', where), eb(col, 'like', `${where}#%`)]))
    .execute();
}

/** The status of snapshot `id` (deleted or not), or undefined when there is no such row. */
export function snapshotStatusGet(db: Db, id: string): Promise<{ status: string } | undefined> {
  return db.selectFrom('snapshots').select('status').where('id', '=', id).executeTakeFirst();
}

/** The volume of snapshot `id` (deleted or not), or null when there is no such row. */
export async function snapshotVolumeIdGet(db: Db, id: string): Promise<string | null> {
  const snap = await db.selectFrom('snapshots').select('volume_id').where('id', '=', id).executeTakeFirst();
  return snap?.volume_id ?? null;
}
