import type { Insertable, SelectQueryBuilder } from 'kysely';
import type { Db, PageRequest } from './common.js';
import { paginate, softDeleteValues, withTieBreakers } from './common.js';
import { conditionalUpdate, rowUpdate, type Expected } from './conditional-update.js';
import {
  metadataDelete,
  metadataDeleteAll,
  metadataGet,
  metadataInsert,
  metadataUpdate,
} from './resource-metadata.js';
import type { Database, VolumesTable } from '../schema.js';
import { attachmentsByVolume, type AttachmentRecord } from './attachments.js';
import { volumeGlanceMetadataDeleteByVolume, whereGlanceMetadata } from './glance-metadata.js';
import { isoNow } from '../../common/time.js';
import { volumeKeyValuesOf } from './volume-key-values.js';
import { preparedQuery } from '../prepared-query.js';

/** A volume row with what the views and flows read beside it (admin metadata: see volumeAdminMetadataGet). */
export interface VolumeRecord extends VolumesTable {
  metadata: Record<string, string>;
  /** Admin metadata users see merged into `metadata` in views (Cinder's `readonly`, `attached_mode`). */
  visible_admin_metadata?: Record<string, string>;
  volume_type_name: string | null;
  /** Live attachments, oldest first (Cinder's `volume.volume_attachment`). */
  volume_attachment: AttachmentRecord[];
  /** Image metadata (`volume_glance_metadata`), `{}` when none; set on every row read from the db. */
  glance_metadata?: Record<string, string>;
}

/** Cinder's `_visible_admin_metadata_keys`. */
const VISIBLE_ADMIN_METADATA_KEYS = ['readonly', 'attached_mode'];

/** Values of a new row; the rest take their defaults. */
export type VolumeCreateValues = Omit<
  VolumesTable,
  'created_at' | 'updated_at' | 'deleted_at' | 'deleted'
> & {
  created_at?: string;
  metadata?: Record<string, string>;
  admin_metadata?: Record<string, string>;
};

/**
 * The columns of a new volume row nothing has decided yet (no host, detached, no source, no
 * provider data): the create paths spread it and name only what they set.
 */
export const NEW_VOLUME_DEFAULTS = {
  host: null,
  cluster_name: null,
  attach_status: 'detached',
  migration_status: null,
  previous_status: null,
  scheduled_at: null,
  launched_at: null,
  terminated_at: null,
  display_name: null,
  display_description: null,
  provider_location: null,
  provider_auth: null,
  provider_id: null,
  snapshot_id: null,
  source_volid: null,
  backup_id: null,
  encryption_key_id: null,
  consistencygroup_id: null,
  group_id: null,
  bootable: 0,
  multiattach: 0,
  replication_status: null,
  service_uuid: null,
  shared_targets: null,
  use_quota: 1,
} as const satisfies Partial<VolumeCreateValues>;

const insertVolume = preparedQuery((db, row: Insertable<VolumesTable>) =>
  db.insertInto('volumes').values(row),
);

/** Inserts a volume and its metadata (EntryCreateTask's `db.volume_create`). */
export async function volumeCreate(db: Db, values: VolumeCreateValues): Promise<void> {
  const { metadata, admin_metadata, ...row } = values;
  const now = row.created_at ?? isoNow();
  await insertVolume(db, { ...row, created_at: now, updated_at: null, deleted_at: null, deleted: 0 });
  await metadataInsert(db, 'volume_metadata', row.id, metadata ?? {}, now);
  await metadataInsert(db, 'volume_admin_metadata', row.id, admin_metadata ?? {}, now);
}

type VolumeRowWithType = VolumesTable & { volume_type_name: string | null };

/**
 * Adds user metadata (and the user-visible admin metadata keys), attachments and image metadata to
 * rows already joined with their type name, in one query each whatever the row count.
 */
async function hydrate(db: Db, rows: VolumeRowWithType[]): Promise<VolumeRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const { metadata, glance, visibleAdmin } = await volumeKeyValuesOf(db, ids, VISIBLE_ADMIN_METADATA_KEYS);
  const attachments = await attachmentsByVolume(db, ids);
  // NOTE: the rows are this call's own (fresh from the driver), so they are completed in place
  // rather than copied: a list of 100 volumes would otherwise copy 100 objects of 37 keys.
  return rows.map((r) => {
    const out: VolumeRecord = Object.assign(r, {
      metadata: metadata.get(r.id) ?? {},
      volume_attachment: attachments.get(r.id) ?? [],
      glance_metadata: glance.get(r.id) ?? {},
    });
    const v = visibleAdmin.get(r.id);
    if (v) out.visible_admin_metadata = v;
    return out;
  });
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
export function volumeAdminMetadataGet(db: Db, volumeId: string): Promise<Record<string, string>> {
  return metadataGet(db, 'volume_admin_metadata', volumeId);
}

const selectLiveVolume = preparedQuery((db, v: { id: string; projectId: string | undefined }) => {
  let q = selectVolumes(db).where('volumes.id', '=', v.id).where('volumes.deleted', '=', 0);
  if (v.projectId !== undefined) q = q.where('volumes.project_id', '=', v.projectId);
  return q;
});

/** One live volume, or null. `projectId` restricts to that project (non-admin visibility). */
export async function volumeGet(db: Db, id: string, projectId?: string | null): Promise<VolumeRecord | null> {
  const { rows } = await selectLiveVolume(db, { id, projectId: projectId || undefined });
  const row = rows[0];
  return row ? ((await hydrate(db, [row]))[0] ?? null) : null;
}

/** Updates columns of a live volume; returns whether a row changed. */
export function volumeUpdate(db: Db, id: string, values: Partial<VolumesTable>): Promise<boolean> {
  return rowUpdate(db, 'volumes', id, values);
}

/**
 * Compare-and-swap on a volume (Cinder's `conditional_update`): applies `values` only while the row
 * still matches `expected` (column → allowed values). Returns whether it did.
 */
export function volumeConditionalUpdate(
  db: Db,
  id: string,
  values: Partial<VolumesTable>,
  expected: Expected<'volumes'>,
): Promise<boolean> {
  return conditionalUpdate(db, 'volumes', id, values, expected);
}

type DeletedAt = ReturnType<typeof softDeleteValues>;

const destroyVolumeRow = preparedQuery((db, { id, ...sd }: { id: string } & DeletedAt) =>
  db
    .updateTable('volumes')
    .set({ ...sd, status: 'deleted', terminated_at: sd.deleted_at, attach_status: 'detached' })
    .where('id', '=', id)
    .where('deleted', '=', 0),
);

// As Cinder's volume_destroy: its attachments (a forced delete of a reserved volume) and its
// pending transfers go with it.
const detachAllOfVolume = preparedQuery((db, { id, ...sd }: { id: string } & DeletedAt) =>
  db
    .updateTable('volume_attachment')
    .set({ ...sd, attach_status: 'detached', detach_time: sd.deleted_at })
    .where('volume_id', '=', id)
    .where('deleted', '=', 0),
);

const deleteTransfersOfVolume = preparedQuery((db, { id, ...sd }: { id: string } & DeletedAt) =>
  db.updateTable('transfers').set(sd).where('volume_id', '=', id).where('deleted', '=', 0),
);

/** Soft-deletes a volume and its metadata (`volume_destroy`). */
export async function volumeDestroy(db: Db, id: string): Promise<void> {
  const sd = softDeleteValues();
  await destroyVolumeRow(db, { id, ...sd });
  await metadataDeleteAll(db, 'volume_metadata', id, sd);
  await metadataDeleteAll(db, 'volume_admin_metadata', id, sd);
  // Its image metadata too (Cinder's VOLUME_DEPENDENT_MODELS).
  await volumeGlanceMetadataDeleteByVolume(db, id);
  await detachAllOfVolume(db, { id, ...sd });
  await deleteTransfersOfVolume(db, { id, ...sd });
}

// ---- listing --------------------------------------------------------------------------------------

/** Exact-match and special filters a volume list accepts (already mapped to column names). */
export interface VolumeFilters {
  project_id?: string | null;
  metadata?: Record<string, string>;
  /** `glance_metadata` (3.4+): every key with that value; null (not a dict) matches nothing. */
  glance_metadata?: Record<string, string> | null;
  /** Column equality filters; array values mean "any of". */
  columns?: Partial<Record<keyof VolumesTable, string | number | null | (string | number)[]>>;
  /** `name~`-style substring filters. */
  like?: Partial<Record<keyof VolumesTable, string>>;
  /**
   * Time comparisons (3.60 `created_at=gt:…,lt:…`): per column, any one of its comparisons holds
   * (Cinder joins them with OR); values in the stored form.
   */
  times?: Partial<Record<'created_at' | 'updated_at', { op: TimeComparison; value: string }[]>>;
}

/** Cinder's `get_time_comparison_operators`. */
export type TimeComparison = 'gt' | 'gte' | 'eq' | 'neq' | 'lt' | 'lte';
const TIME_SQL: Record<TimeComparison, '>' | '>=' | '=' | '<>' | '<' | '<='> = {
  gt: '>',
  gte: '>=',
  eq: '=',
  neq: '<>',
  lt: '<',
  lte: '<=',
};

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
  if (f.glance_metadata !== undefined) q = whereGlanceMetadata(q, f.glance_metadata);
  for (const [col, comparisons] of Object.entries(f.times ?? {}) as [
    'created_at' | 'updated_at',
    { op: TimeComparison; value: string }[],
  ][]) {
    if (comparisons.length)
      q = q.where((eb) => eb.or(comparisons.map((c) => eb(`volumes.${col}`, TIME_SQL[c.op], c.value))));
  }
  return q;
}

/** A page of volumes matching `filters`, sorted and paginated like Cinder's `paginate_query`. */
export async function volumeGetAll(
  db: Db,
  filters: VolumeFilters,
  page: PageRequest,
): Promise<VolumeRecord[]> {
  const sort = withTieBreakers(page.sort, ['id']);
  const q = applyFilters(selectVolumes(db), filters) as unknown as ReturnType<typeof selectVolumes>;
  let marker: VolumesTable | undefined;
  if (page.marker) {
    marker = await db.selectFrom('volumes').selectAll().where('id', '=', page.marker).executeTakeFirst();
    if (!marker) throw new MarkerNotFound(page.marker);
  }
  const rows = await paginate(q, 'volumes', sort, page, marker ?? null).execute();
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

/**
 * GiB placed per `host` (or per `cluster_name`) value starting with `prefix` (`host@backend#` or
 * `cluster@backend#`), over live volumes: the counts `capacity_allocations` keeps (migration 014).
 */
export async function volumeAllocatedBy(
  db: Db,
  column: 'host' | 'cluster_name',
  prefix: string,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('capacity_allocations')
    .select(['location', 'allocated_gb'])
    .where('kind', '=', column)
    .where('location', 'like', `${prefix}%`)
    .execute();
  return new Map(rows.map((r) => [r.location, Number(r.allocated_gb)]));
}

// ---- metadata ---------------------------------------------------------------------------------------

/**
 * Sets user (or admin) metadata: merges `meta` into the existing keys, or with `replace` makes
 * the stored set exactly `meta`. Returns the resulting dict.
 */
export function volumeMetadataUpdate(
  db: Db,
  volumeId: string,
  meta: Record<string, string>,
  replace: boolean,
  table: 'volume_metadata' | 'volume_admin_metadata' = 'volume_metadata',
): Promise<Record<string, string>> {
  return metadataUpdate(db, table, volumeId, meta, replace);
}

/** Deletes one metadata key; false when it was not there. */
export function volumeMetadataDelete(db: Db, volumeId: string, key: string): Promise<boolean> {
  return metadataDelete(db, 'volume_metadata', volumeId, key);
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

/** Whether volume `id` has a live (not deleted) row. */
export async function volumeIsLive(db: Db, id: string): Promise<boolean> {
  return (await liveVolumeId(db, { id })).rows.length > 0;
}

const liveVolumeId = preparedQuery((db, v: { id: string }) =>
  db.selectFrom('volumes').select('id').where('id', '=', v.id).where('deleted', '=', 0),
);
