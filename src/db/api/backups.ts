import { sql, type SelectQueryBuilder } from 'kysely';
import type { Db, PageRequest } from './common.js';
import { keysetAfter, softDeleteValues } from './common.js';
import { conditionalUpdate, rowUpdate, type Expected } from './conditional-update.js';
import { metadataDeleteAll, metadataGetMany, metadataInsert, metadataUpdate } from './resource-metadata.js';
import type { BackupsTable, Database } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { MarkerNotFound } from './volumes.js';

/** A backup row with its user metadata (3.43). */
export interface BackupRecord extends BackupsTable {
  metadata: Record<string, string>;
}

/** Values of a new backup row (Cinder's `backup_create`); unset columns are null. */
export type BackupCreateValues = Pick<BackupsTable, 'id' | 'volume_id' | 'status'> &
  Partial<Omit<BackupsTable, 'id' | 'volume_id' | 'status' | 'deleted' | 'deleted_at' | 'updated_at'>> & {
    metadata?: Record<string, string>;
  };

const EMPTY: Omit<BackupsTable, 'id' | 'volume_id' | 'status' | 'created_at'> = {
  user_id: null,
  project_id: null,
  host: null,
  availability_zone: null,
  display_name: null,
  display_description: null,
  container: null,
  fail_reason: null,
  service_metadata: null,
  service: null,
  size: null,
  object_count: 0,
  parent_id: null,
  temp_volume_id: null,
  temp_snapshot_id: null,
  num_dependent_backups: 0,
  snapshot_id: null,
  data_timestamp: null,
  restore_volume_id: null,
  encryption_key_id: null,
  updated_at: null,
  deleted_at: null,
  deleted: 0,
};

/** Inserts a backup and its metadata; returns the record as written. */
export async function backupCreate(db: Db, values: BackupCreateValues): Promise<BackupRecord> {
  const { metadata = {}, ...row } = values;
  const now = row.created_at ?? isoNow();
  const full: BackupsTable = { ...EMPTY, ...row, created_at: now };
  await db.insertInto('backups').values(full).execute();
  await metadataInsert(db, 'backup_metadata', row.id, metadata, now);
  return { ...full, metadata: { ...metadata } };
}

/** Adds user metadata to backup rows, one query whatever the row count. */
async function hydrate(db: Db, rows: BackupsTable[]): Promise<BackupRecord[]> {
  if (rows.length === 0) return [];
  const byBackup = await metadataGetMany(
    db,
    'backup_metadata',
    rows.map((r) => r.id),
  );
  // The rows are fresh from the driver: completed in place, not copied (as volumes.ts's hydrate).
  return rows.map((r) => Object.assign(r, { metadata: byBackup.get(r.id) ?? {} }));
}

/**
 * One backup, or null: live only unless `readDeleted` (Cinder's `read_deleted='yes'`, used by the
 * import of a record over a deleted backup), project-scoped when `projectId` is given.
 */
export async function backupGet(
  db: Db,
  id: string,
  opts: { projectId?: string | null; readDeleted?: boolean } = {},
): Promise<BackupRecord | null> {
  let q = db.selectFrom('backups').selectAll().where('id', '=', id);
  if (!opts.readDeleted) q = q.where('deleted', '=', 0);
  if (opts.projectId) q = q.where('project_id', '=', opts.projectId);
  const row = await q.executeTakeFirst();
  return row ? ((await hydrate(db, [row]))[0] ?? null) : null;
}

/** Updates columns of a live backup; returns whether a row changed. */
export function backupUpdate(db: Db, id: string, values: Partial<BackupsTable>): Promise<boolean> {
  return rowUpdate(db, 'backups', id, values);
}

/**
 * Adds `delta` to a parent backup's `num_dependent_backups` in one statement (never below 0), so
 * two incrementals finishing or going at once both count. Call it in the transaction that makes
 * the child available or deletes it: no moment shows the child without its count.
 */
export async function backupAdjustDependents(db: Db, parentId: string, delta: 1 | -1): Promise<void> {
  await db
    .updateTable('backups')
    .set({
      num_dependent_backups:
        delta > 0
          ? sql`num_dependent_backups + 1`
          : sql`CASE WHEN num_dependent_backups > 0 THEN num_dependent_backups - 1 ELSE 0 END`,
    })
    .where('id', '=', parentId)
    .where('deleted', '=', 0)
    .execute();
}

/**
 * Compare-and-swap on a live backup (Cinder's `conditional_update`): applies `values` only while
 * the row's columns still hold one of the `expected` values. Returns whether it did.
 */
export function backupConditionalUpdate(
  db: Db,
  id: string,
  values: Partial<BackupsTable>,
  expected: Expected<'backups'>,
): Promise<boolean> {
  return conditionalUpdate(db, 'backups', id, values, expected);
}

/** Soft-deletes a backup (status `deleted`) and its metadata (`backup_destroy`). */
export async function backupDestroy(db: Db, id: string): Promise<void> {
  const sd = softDeleteValues();
  await db
    .updateTable('backups')
    .set({ ...sd, status: 'deleted' })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .execute();
  await metadataDeleteAll(db, 'backup_metadata', id, sd);
}

/**
 * Brings a soft-deleted backup row back with `values` (an imported record reusing a deleted
 * backup's id, as Cinder's `BackupImport` does). Returns whether it did.
 */
export async function backupRevive(db: Db, id: string, values: Partial<BackupsTable>): Promise<boolean> {
  const res = await db
    .updateTable('backups')
    .set({ ...values, deleted: 0, deleted_at: null, updated_at: isoNow() })
    .where('id', '=', id)
    .where('deleted', '=', 1)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The live backups a backup service on `host` holds (its start-up cleanup). */
export async function backupsOnHost(db: Db, host: string): Promise<BackupRecord[]> {
  const rows = await db
    .selectFrom('backups')
    .selectAll()
    .where('host', '=', host)
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .execute();
  return hydrate(db, rows);
}

/** A project's live backups of one volume (the candidates for an incremental's parent). */
export async function backupsOfVolume(
  db: Db,
  volumeId: string,
  projectId: string | null,
): Promise<BackupRecord[]> {
  let q = db.selectFrom('backups').selectAll().where('volume_id', '=', volumeId).where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  return hydrate(db, await q.orderBy('created_at').orderBy('id').execute());
}

/** How many live backups name `parentId` as their parent. */
export async function backupChildCount(db: Db, parentId: string): Promise<number> {
  const r = await db
    .selectFrom('backups')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('parent_id', '=', parentId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

// ---- listing ---------------------------------------------------------------------------------------

/** Filters of a backup list, already mapped to columns (Cinder's `_process_backups_filters`). */
export interface BackupFilters {
  project_id?: string | null;
  /** Column equality filters. */
  columns?: Partial<Record<keyof BackupsTable, string | number | null>>;
  /** `name~`-style substring filters. */
  like?: Partial<Record<keyof BackupsTable, string>>;
  metadata?: Record<string, string>;
}

type BackupQuery = SelectQueryBuilder<Database, 'backups', object>;

function applyFilters(q: BackupQuery, f: BackupFilters): BackupQuery {
  q = q.where('backups.deleted', '=', 0);
  if (f.project_id) q = q.where('backups.project_id', '=', f.project_id);
  for (const [col, val] of Object.entries(f.columns ?? {}) as [keyof BackupsTable, unknown][]) {
    if (val === null) q = q.where(`backups.${col}`, 'is', null);
    else q = q.where(`backups.${col}`, '=', val as never);
  }
  for (const [col, val] of Object.entries(f.like ?? {}) as [keyof BackupsTable, string][])
    q = q.where(`backups.${col}`, 'like', `%${val}%`);
  for (const [key, value] of Object.entries(f.metadata ?? {})) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('backup_metadata as bm')
          .select('bm.id')
          .whereRef('bm.backup_id', '=', 'backups.id')
          .where('bm.key', '=', key)
          .where('bm.value', '=', value)
          .where('bm.deleted', '=', 0),
      ),
    );
  }
  return q;
}

/** A page of backups, sorted and paginated like Cinder's `paginate_query` (default created_at, id desc). */
export async function backupGetAll(
  db: Db,
  filters: BackupFilters,
  page: PageRequest,
): Promise<BackupRecord[]> {
  const sort = [...(page.sort?.length ? page.sort : [{ key: 'created_at', dir: 'desc' as const }])];
  if (!sort.some((s) => s.key === 'id')) sort.push({ key: 'id', dir: sort[0]?.dir ?? 'desc' });
  let q = applyFilters(db.selectFrom('backups'), filters).selectAll('backups');
  if (page.marker) {
    const marker = await db
      .selectFrom('backups')
      .selectAll()
      .where('id', '=', page.marker)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!marker) throw new MarkerNotFound(page.marker);
    q = q.where((eb) => keysetAfter(eb, 'backups', sort, marker as unknown as Record<string, unknown>));
  }
  for (const s of sort) q = q.orderBy(sql.ref(`backups.${s.key}`), s.dir);
  if (page.limit !== undefined && page.limit !== null) q = q.limit(page.limit);
  if (page.offset) {
    // NOTE: SQLite and MySQL want a LIMIT before OFFSET.
    if (page.limit === undefined || page.limit === null) q = q.limit(2 ** 31 - 1);
    q = q.offset(page.offset);
  }
  return hydrate(db, await q.execute());
}

/** How many backups match `filters` (`with_count`). */
export async function backupCount(db: Db, filters: BackupFilters): Promise<number> {
  const row = await applyFilters(db.selectFrom('backups'), filters)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

// ---- metadata ------------------------------------------------------------------------------------

/**
 * Sets a backup's user metadata: merges `meta` into the existing keys, or with `replace` makes the
 * stored set exactly `meta`. Returns the resulting dict.
 */
export function backupMetadataUpdate(
  db: Db,
  backupId: string,
  meta: Record<string, string>,
  replace: boolean,
): Promise<Record<string, string>> {
  return metadataUpdate(db, 'backup_metadata', backupId, meta, replace);
}
