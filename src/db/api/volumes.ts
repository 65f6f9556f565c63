import { sql, type SelectQueryBuilder, type Expression, type SqlBool } from 'kysely';
import type { Db, PageRequest } from './common.js';
import { keysetAfter, softDeleteValues, toDict } from './common.js';
import type { Database, VolumesTable } from '../schema.js';
import { isoNow } from '../time.js';

/** A volume row with what the views and flows read beside it (admin metadata: see volumeAdminMetadataGet). */
export interface VolumeRecord extends VolumesTable {
  metadata: Record<string, string>;
  volume_type_name: string | null;
}

/** Values of a new row; the rest take their defaults. */
export type VolumeCreateValues = Omit<
  VolumesTable,
  'created_at' | 'updated_at' | 'deleted_at' | 'deleted'
> & {
  created_at?: string;
  metadata?: Record<string, string>;
  admin_metadata?: Record<string, string>;
};

/** Inserts a volume and its metadata (EntryCreateTask's `db.volume_create`). */
export async function volumeCreate(db: Db, values: VolumeCreateValues): Promise<void> {
  const { metadata, admin_metadata, ...row } = values;
  const now = row.created_at ?? isoNow();
  await db
    .insertInto('volumes')
    .values({ ...row, created_at: now, updated_at: null, deleted_at: null, deleted: 0 })
    .execute();
  await metadataInsert(db, 'volume_metadata', row.id, metadata ?? {}, now);
  await metadataInsert(db, 'volume_admin_metadata', row.id, admin_metadata ?? {}, now);
}

async function metadataInsert(
  db: Db,
  table: 'volume_metadata' | 'volume_admin_metadata',
  volumeId: string,
  meta: Record<string, string>,
  now: string,
): Promise<void> {
  const rows = Object.entries(meta).map(([key, value]) => ({
    volume_id: volumeId,
    key,
    value,
    created_at: now,
    deleted: 0 as const,
  }));
  if (rows.length) await db.insertInto(table).values(rows).execute();
}

type VolumeRowWithType = VolumesTable & { volume_type_name: string | null };

/** Adds user metadata to rows (already joined with their type name), in one query whatever the row count. */
async function hydrate(db: Db, rows: VolumeRowWithType[]): Promise<VolumeRecord[]> {
  if (rows.length === 0) return [];
  const meta = await db
    .selectFrom('volume_metadata')
    .select(['volume_id', 'key', 'value'])
    .where(
      'volume_id',
      'in',
      rows.map((r) => r.id),
    )
    .where('deleted', '=', 0)
    .execute();
  const byVolume = new Map<string, Record<string, string>>();
  for (const m of meta) {
    const d = byVolume.get(m.volume_id) ?? {};
    d[m.key] = m.value;
    byVolume.set(m.volume_id, d);
  }
  return rows.map((r) => ({ ...r, metadata: byVolume.get(r.id) ?? {} }));
}

/** `volumes` joined with its type's name. */
function selectVolumes(db: Db) {
  return db
    .selectFrom('volumes')
    .leftJoin('volume_types', 'volume_types.id', 'volumes.volume_type_id')
    .selectAll('volumes')
    .select('volume_types.name as volume_type_name');
}

/** Admin metadata of a volume (`readonly`, `attached_mode`, …). */
export async function volumeAdminMetadataGet(db: Db, volumeId: string): Promise<Record<string, string>> {
  return toDict(
    await db
      .selectFrom('volume_admin_metadata')
      .select(['key', 'value'])
      .where('volume_id', '=', volumeId)
      .where('deleted', '=', 0)
      .execute(),
  );
}

/** One live volume, or null. `projectId` restricts to that project (non-admin visibility). */
export async function volumeGet(db: Db, id: string, projectId?: string | null): Promise<VolumeRecord | null> {
  let q = selectVolumes(db).where('volumes.id', '=', id).where('volumes.deleted', '=', 0);
  if (projectId) q = q.where('volumes.project_id', '=', projectId);
  const row = await q.executeTakeFirst();
  return row ? ((await hydrate(db, [row]))[0] ?? null) : null;
}

/** Updates columns of a live volume; returns whether a row changed. */
export async function volumeUpdate(db: Db, id: string, values: Partial<VolumesTable>): Promise<boolean> {
  const res = await db
    .updateTable('volumes')
    .set({ ...values, updated_at: isoNow() })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Compare-and-swap on a volume (Cinder's `conditional_update`): applies `values` only while the row
 * still matches `expected` (column → allowed values). Returns whether it did.
 */
export async function volumeConditionalUpdate(
  db: Db,
  id: string,
  values: Partial<VolumesTable>,
  expected: Partial<Record<keyof VolumesTable, readonly (string | number | null)[]>>,
): Promise<boolean> {
  let q = db
    .updateTable('volumes')
    .set({ ...values, updated_at: isoNow() })
    .where('id', '=', id)
    .where('deleted', '=', 0);
  for (const [col, allowed] of Object.entries(expected) as [
    keyof VolumesTable,
    (string | number | null)[],
  ][]) {
    const nonNull = allowed.filter((v) => v !== null);
    const hasNull = allowed.length !== nonNull.length;
    q = q.where((eb) => {
      const parts: Expression<SqlBool>[] = [];
      if (nonNull.length) parts.push(eb(col, 'in', nonNull as never[]));
      if (hasNull) parts.push(eb(col, 'is', null));
      return eb.or(parts);
    });
  }
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Soft-deletes a volume and its metadata (`volume_destroy`). */
export async function volumeDestroy(db: Db, id: string): Promise<void> {
  const sd = softDeleteValues();
  await db
    .updateTable('volumes')
    .set({ ...sd, status: 'deleted', terminated_at: sd.deleted_at, attach_status: 'detached' })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .execute();
  await db
    .updateTable('volume_metadata')
    .set(sd)
    .where('volume_id', '=', id)
    .where('deleted', '=', 0)
    .execute();
  await db
    .updateTable('volume_admin_metadata')
    .set(sd)
    .where('volume_id', '=', id)
    .where('deleted', '=', 0)
    .execute();
}

// ---- listing --------------------------------------------------------------------------------------

/** Exact-match and special filters a volume list accepts (already mapped to column names). */
export interface VolumeFilters {
  project_id?: string | null;
  metadata?: Record<string, string>;
  /** Column equality filters; array values mean "any of". */
  columns?: Partial<Record<keyof VolumesTable, string | number | null | (string | number)[]>>;
  /** `name~`-style substring filters. */
  like?: Partial<Record<keyof VolumesTable, string>>;
}

type VolumeQuery = SelectQueryBuilder<Database, 'volumes', object>;

function applyFilters(q: VolumeQuery, f: VolumeFilters): VolumeQuery {
  q = q.where('volumes.deleted', '=', 0);
  if (f.project_id) q = q.where('volumes.project_id', '=', f.project_id);
  for (const [col, val] of Object.entries(f.columns ?? {}) as [keyof VolumesTable, unknown][]) {
    if (Array.isArray(val)) q = q.where(`volumes.${col}`, 'in', val as never[]);
    else if (val === null) q = q.where(`volumes.${col}`, 'is', null);
    else q = q.where(`volumes.${col}`, '=', val as never);
  }
  for (const [col, val] of Object.entries(f.like ?? {}) as [keyof VolumesTable, string][]) {
    q = q.where(`volumes.${col}`, 'like', `%${val}%`);
  }
  for (const [key, value] of Object.entries(f.metadata ?? {})) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('volume_metadata as vm')
          .select('vm.id')
          .whereRef('vm.volume_id', '=', 'volumes.id')
          .where('vm.key', '=', key)
          .where('vm.value', '=', value)
          .where('vm.deleted', '=', 0),
      ),
    );
  }
  return q;
}

/** A page of volumes matching `filters`, sorted and paginated like Cinder's `paginate_query`. */
export async function volumeGetAll(
  db: Db,
  filters: VolumeFilters,
  page: PageRequest,
): Promise<VolumeRecord[]> {
  const sort = [...(page.sort?.length ? page.sort : [{ key: 'created_at', dir: 'desc' as const }])];
  if (!sort.some((s) => s.key === 'id')) sort.push({ key: 'id', dir: sort[0]?.dir ?? 'desc' });
  let q = applyFilters(selectVolumes(db), filters) as unknown as ReturnType<typeof selectVolumes>;
  if (page.marker) {
    const marker = await db
      .selectFrom('volumes')
      .selectAll()
      .where('id', '=', page.marker)
      .executeTakeFirst();
    if (!marker) return Promise.reject(new MarkerNotFound(page.marker));
    q = q.where((eb) => keysetAfter(eb, 'volumes', sort, marker as unknown as Record<string, unknown>));
  }
  for (const s of sort) q = q.orderBy(sql.ref(`volumes.${s.key}`), s.dir);
  if (page.limit !== undefined && page.limit !== null) q = q.limit(page.limit);
  if (page.offset) q = q.offset(page.offset);
  const rows = await q.execute();
  return hydrate(db, rows);
}

/** Count and total size of the volumes matching `filters` (`/volumes/summary`, `with_count`). */
export async function volumeSummary(
  db: Db,
  filters: VolumeFilters,
): Promise<{ count: number; size: number }> {
  const row = await applyFilters(db.selectFrom('volumes'), filters)
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('volumes.size').as('size')])
    .executeTakeFirst();
  return { count: Number(row?.count ?? 0), size: Number(row?.size ?? 0) };
}

/** Raised when a list `marker` names no volume: the API answers 400 `Marker not found`. */
export class MarkerNotFound extends Error {
  constructor(readonly marker: string) {
    super(`Marker ${marker} could not be found.`);
  }
}

/** Sum of sizes of live volumes per `host` value starting with `hostPrefix` (allocated capacity). */
export async function volumeAllocatedByHost(db: Db, hostPrefix: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('volumes')
    .select((eb) => ['host', eb.fn.sum<number>('size').as('size')])
    .where('deleted', '=', 0)
    .where('host', 'like', `${hostPrefix}%`)
    .groupBy('host')
    .execute();
  return new Map(rows.map((r) => [r.host ?? '', Number(r.size)]));
}

// ---- metadata ---------------------------------------------------------------------------------------

/**
 * Sets user (or admin) metadata: merges `meta` into the existing keys, or with `replace` makes
 * the stored set exactly `meta`. Returns the resulting dict.
 */
export async function volumeMetadataUpdate(
  db: Db,
  volumeId: string,
  meta: Record<string, string>,
  replace: boolean,
  table: 'volume_metadata' | 'volume_admin_metadata' = 'volume_metadata',
): Promise<Record<string, string>> {
  const now = isoNow();
  const current = toDict(
    await db
      .selectFrom(table)
      .select(['key', 'value'])
      .where('volume_id', '=', volumeId)
      .where('deleted', '=', 0)
      .execute(),
  );
  if (replace) {
    const gone = Object.keys(current).filter((k) => !(k in meta));
    if (gone.length)
      await db
        .updateTable(table)
        .set(softDeleteValues(now))
        .where('volume_id', '=', volumeId)
        .where('key', 'in', gone)
        .where('deleted', '=', 0)
        .execute();
  }
  for (const [key, value] of Object.entries(meta)) {
    if (key in current) {
      if (current[key] !== value)
        await db
          .updateTable(table)
          .set({ value, updated_at: now })
          .where('volume_id', '=', volumeId)
          .where('key', '=', key)
          .where('deleted', '=', 0)
          .execute();
    } else {
      await db
        .insertInto(table)
        .values({ volume_id: volumeId, key, value, created_at: now, deleted: 0 })
        .execute();
    }
  }
  return replace ? { ...meta } : { ...current, ...meta };
}

/** Deletes one metadata key; false when it was not there. */
export async function volumeMetadataDelete(db: Db, volumeId: string, key: string): Promise<boolean> {
  const res = await db
    .updateTable('volume_metadata')
    .set(softDeleteValues())
    .where('volume_id', '=', volumeId)
    .where('key', '=', key)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Moves the live volumes of `currentHost` to `newHost` (`cinder-manage volume update_host`): those
 * whose host is exactly `currentHost` or one of its pools (`currentHost#…`), as Cinder's
 * `volume_get_all_by_host` selects them; all get `newHost` as is. Returns how many moved.
 */
export async function volumeUpdateHost(db: Db, currentHost: string, newHost: string): Promise<number> {
  const rows = await db
    .selectFrom('volumes')
    .select(['id', 'host'])
    .where('deleted', '=', 0)
    .where((eb) => eb.or([eb('host', '=', currentHost), eb('host', 'like', `${currentHost}#%`)]))
    .execute();
  // NOTE: LIKE treats `%`/`_` in the host as wildcards (and SQLite's LIKE ignores case): keep only
  // exact matches, so the move is byte-exact on every engine.
  const ids = rows
    .filter((r) => r.host === currentHost || r.host?.startsWith(`${currentHost}#`))
    .map((r) => r.id);
  if (!ids.length) return 0;
  await db
    .updateTable('volumes')
    .set({ host: newHost, updated_at: isoNow() })
    .where('id', 'in', ids)
    .where('deleted', '=', 0)
    .execute();
  return ids.length;
}
