import { sql } from 'kysely';
import type { Db, PageRequest } from './common.js';
import { paginate, softDeleteValues, withTieBreakers, markerSortValues } from './common.js';
import { metadataDelete, metadataDeleteAll, metadataGet, metadataGetMany } from './resource-metadata.js';
import type { VolumeTypesTable } from '../schema.js';
import { VolumeTypeAccessExists, VolumeTypeAccessNotFound, VolumeTypeNotFound } from '../../common/errors.js';
import { isoNow } from '../../common/time.js';
import { preparedQuery } from '../prepared-query.js';

/** A volume type row with its extra specs, as the API and flows use it. */
export interface VolumeTypeRecord {
  id: string;
  name: string;
  description: string | null;
  is_public: boolean;
  qos_specs_id: string | null;
  created_at: string;
  updated_at: string | null;
  deleted: boolean;
  extra_specs: Record<string, string>;
}

function toRecord(row: VolumeTypesTable, specs: Record<string, string>): VolumeTypeRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    is_public: row.is_public === 1,
    qos_specs_id: row.qos_specs_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted: row.deleted === 1,
    extra_specs: specs,
  };
}

/** Records for type rows, their extra specs read in one query. */
async function withExtraSpecs(db: Db, rows: VolumeTypesTable[]): Promise<VolumeTypeRecord[]> {
  const ids = rows.map((r) => r.id);
  const specs = await metadataGetMany(db, 'volume_type_extra_specs', ids);
  return rows.map((r) => toRecord(r, specs.get(r.id) ?? {}));
}

function specsOf(db: Db, typeId: string): Promise<Record<string, string>> {
  return metadataGet(db, 'volume_type_extra_specs', typeId);
}

/** Type by id; `includeDeleted` for volumes whose type was deleted after they were made. */
export async function volumeTypeGet(
  db: Db,
  id: string,
  includeDeleted = false,
): Promise<VolumeTypeRecord | null> {
  let q = db.selectFrom('volume_types').selectAll().where('id', '=', id);
  if (!includeDeleted) q = q.where('deleted', '=', 0);
  const row = await q.executeTakeFirst();
  return row ? toRecord(row, await specsOf(db, row.id)) : null;
}

export async function volumeTypeGetByName(db: Db, name: string): Promise<VolumeTypeRecord | null> {
  const row = (await liveTypeNamed(db, { name })).rows[0];
  return row ? toRecord(row, await specsOf(db, row.id)) : null;
}

const liveTypeNamed = preparedQuery((db, v: { name: string }) =>
  db.selectFrom('volume_types').selectAll().where('name', '=', v.name).where('deleted', '=', 0),
);

/** Projects that may use a private type. */
export async function volumeTypeProjects(db: Db, typeId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('volume_type_projects')
    .select('project_id')
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .execute();
  return rows.map((r) => r.project_id);
}

/** All types visible with the given filter; `projectId` limits private types to those shared with it. */
export async function volumeTypeGetAll(
  db: Db,
  opts: { isPublic?: boolean | null; projectId?: string | null } = {},
): Promise<VolumeTypeRecord[]> {
  let q = db.selectFrom('volume_types').selectAll().where('deleted', '=', 0);
  if (opts.isPublic === true && opts.projectId) {
    const pid = opts.projectId;
    q = q.where((eb) =>
      eb.or([
        eb('is_public', '=', 1),
        eb(
          'id',
          'in',
          eb
            .selectFrom('volume_type_projects')
            .select('volume_type_id')
            .where('project_id', '=', pid)
            .where('deleted', '=', 0),
        ),
      ]),
    );
  } else if (opts.isPublic === true) {
    q = q.where('is_public', '=', 1);
  } else if (opts.isPublic === false) {
    q = q.where('is_public', '=', 0);
  }
  const rows = await q.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
  return withExtraSpecs(db, rows);
}

export async function volumeTypeCreate(
  db: Db,
  values: {
    id: string;
    name: string;
    description: string | null;
    is_public: boolean;
    extra_specs: Record<string, string>;
    projects?: string[];
  },
): Promise<void> {
  const now = isoNow();
  await db
    .insertInto('volume_types')
    .values({
      id: values.id,
      name: values.name,
      description: values.description,
      is_public: values.is_public ? 1 : 0,
      qos_specs_id: null,
      created_at: now,
      deleted: 0,
    })
    .execute();
  await volumeTypeExtraSpecsUpdate(db, values.id, values.extra_specs);
  for (const p of values.projects ?? []) {
    await db
      .insertInto('volume_type_projects')
      .values({ volume_type_id: values.id, project_id: p, created_at: now, deleted: 0 })
      .execute();
  }
}

export async function volumeTypeUpdate(
  db: Db,
  id: string,
  values: { name?: string; description?: string | null; is_public?: boolean },
): Promise<void> {
  const patch: Partial<VolumeTypesTable> = { updated_at: isoNow() };
  if (values.name !== undefined) patch.name = values.name;
  if (values.description !== undefined) patch.description = values.description;
  if (values.is_public !== undefined) patch.is_public = values.is_public ? 1 : 0;
  await db.updateTable('volume_types').set(patch).where('id', '=', id).where('deleted', '=', 0).execute();
}

export async function volumeTypeDestroy(db: Db, id: string): Promise<void> {
  const sd = softDeleteValues();
  await db.updateTable('volume_types').set(sd).where('id', '=', id).where('deleted', '=', 0).execute();
  await metadataDeleteAll(db, 'volume_type_extra_specs', id, sd);
  await db
    .updateTable('encryption')
    .set(sd)
    .where('volume_type_id', '=', id)
    .where('deleted', '=', 0)
    .execute();
  await db
    .updateTable('volume_type_projects')
    .set({ deleted: sql<number>`id`, deleted_at: sd.deleted_at, updated_at: sd.updated_at })
    .where('volume_type_id', '=', id)
    .where('deleted', '=', 0)
    .execute();
}

/** Creates or updates the given extra specs (others untouched). */
export async function volumeTypeExtraSpecsUpdate(
  db: Db,
  typeId: string,
  specs: Record<string, string>,
): Promise<void> {
  const now = isoNow();
  for (const [key, value] of Object.entries(specs)) {
    const res = await db
      .updateTable('volume_type_extra_specs')
      .set({ value, updated_at: now })
      .where('volume_type_id', '=', typeId)
      .where('key', '=', key)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) {
      await db
        .insertInto('volume_type_extra_specs')
        .values({ volume_type_id: typeId, key, value, created_at: now, deleted: 0 })
        .execute();
    }
  }
}

/** Deletes one extra spec; returns false when there was none. */
export function volumeTypeExtraSpecsDelete(db: Db, typeId: string, key: string): Promise<boolean> {
  return metadataDelete(db, 'volume_type_extra_specs', typeId, key);
}

/** Number of live volumes using a type (a type in use cannot be deleted). */
export async function volumeTypeInUse(db: Db, typeId: string): Promise<boolean> {
  const row = await db
    .selectFrom('volumes')
    .select('id')
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

// ---- type access (`os-volume-type-access`) ------------------------------------------------------------

/** The live access rows of a type, oldest first. */
export async function volumeTypeAccessList(
  db: Db,
  typeId: string,
): Promise<{ volume_type_id: string; project_id: string }[]> {
  return db
    .selectFrom('volume_type_projects')
    .select(['volume_type_id', 'project_id'])
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .orderBy('id', 'asc')
    .execute();
}

/** Gives a project access to a type; `VolumeTypeAccessExists` when it has it already. */
export async function volumeTypeAccessAdd(db: Db, typeId: string, projectId: string): Promise<void> {
  const live = () =>
    db
      .selectFrom('volume_type_projects')
      .select('id')
      .where('volume_type_id', '=', typeId)
      .where('project_id', '=', projectId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
  if (await live()) throw new VolumeTypeAccessExists(typeId, projectId);
  try {
    await db
      .insertInto('volume_type_projects')
      .values({ volume_type_id: typeId, project_id: projectId, created_at: isoNow(), deleted: 0 })
      .execute();
  } catch (e) {
    // NOTE: a concurrent add won the unique index (type, project, deleted).
    if (await live()) throw new VolumeTypeAccessExists(typeId, projectId);
    throw e;
  }
}

/** Takes a project's access away (`deleted = id`); `VolumeTypeAccessNotFound` when it had none. */
export async function volumeTypeAccessRemove(db: Db, typeId: string, projectId: string): Promise<void> {
  const now = isoNow();
  const res = await db
    .updateTable('volume_type_projects')
    .set({ deleted: sql<number>`id`, deleted_at: now, updated_at: now })
    .where('volume_type_id', '=', typeId)
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new VolumeTypeAccessNotFound(typeId, projectId);
}

// ---- per-project default types (3.62 `/default-types`) -----------------------------------------------

/** A project's default type entry. */
export interface ProjectDefaultType {
  project_id: string;
  volume_type_id: string;
}

/** Sets (or replaces) a project's default type. */
export async function projectDefaultVolumeTypeSet(
  db: Db,
  projectId: string,
  typeId: string,
): Promise<ProjectDefaultType> {
  const now = isoNow();
  const update = () =>
    db
      .updateTable('default_volume_types')
      .set({ volume_type_id: typeId, updated_at: now })
      .where('project_id', '=', projectId)
      .executeTakeFirst();
  if (Number((await update()).numUpdatedRows) === 0) {
    try {
      await db
        .insertInto('default_volume_types')
        .values({ project_id: projectId, volume_type_id: typeId, created_at: now, updated_at: null })
        .execute();
    } catch (e) {
      // NOTE: a concurrent set inserted the row first (project_id is the key): set it again.
      if (Number((await update()).numUpdatedRows) === 0) throw e;
    }
  }
  return { project_id: projectId, volume_type_id: typeId };
}

/** Every project's default type entry, by project id. */
export async function projectDefaultVolumeTypeList(db: Db): Promise<ProjectDefaultType[]> {
  return db
    .selectFrom('default_volume_types')
    .select(['project_id', 'volume_type_id'])
    .orderBy('project_id', 'asc')
    .execute();
}

/** Removes a project's default type entry (a hard delete, as Cinder's); no entry is fine. */
export async function projectDefaultVolumeTypeUnset(db: Db, projectId: string): Promise<void> {
  await db.deleteFrom('default_volume_types').where('project_id', '=', projectId).execute();
}

/** The project's default type (3.62 `/default-types`), if one is set. */
export async function projectDefaultVolumeTypeId(db: Db, projectId: string): Promise<string | null> {
  const row = (await defaultTypeOf(db, { projectId })).rows[0];
  return row?.volume_type_id ?? null;
}

const defaultTypeOf = preparedQuery((db, v: { projectId: string }) =>
  db.selectFrom('default_volume_types').select('volume_type_id').where('project_id', '=', v.projectId),
);

// ---- listing, counting and renaming (the `/types` API) -----------------------------------------------

/** Filters of a `/types` list (Cinder's `_process_volume_types_filters`). */
export interface VolumeTypeListFilters {
  /** true: public ones (plus those shared with `projectId`); false: private ones; null: all. */
  isPublic: boolean | null;
  projectId: string | null;
  /** Column equality filters (`name`, `description`, …). */
  columns?: Partial<Record<keyof VolumeTypesTable, string>>;
  /** Extra specs the type must have; `RESKEY:availability_zones` matches as a substring. */
  extraSpecs?: Record<string, string> | null;
}

/**
 * A page of volume types, sorted (default `created_at`, `id`, newest first) and paginated like
 * Cinder's `paginate_query`. A `marker` naming no type is `VolumeTypeNotFound`.
 */
export async function volumeTypeList(
  db: Db,
  f: VolumeTypeListFilters,
  page: PageRequest,
): Promise<VolumeTypeRecord[]> {
  const sort = withTieBreakers(page.sort, ['created_at', 'id']);
  let q = db.selectFrom('volume_types').selectAll('volume_types').where('volume_types.deleted', '=', 0);
  if (f.isPublic === true && f.projectId) {
    const pid = f.projectId;
    q = q.where((eb) =>
      eb.or([
        eb('volume_types.is_public', '=', 1),
        eb.exists(
          eb
            .selectFrom('volume_type_projects as vtp')
            .select('vtp.id')
            .whereRef('vtp.volume_type_id', '=', 'volume_types.id')
            .where('vtp.project_id', '=', pid)
            .where('vtp.deleted', '=', 0),
        ),
      ]),
    );
  } else if (f.isPublic !== null) {
    q = q.where('volume_types.is_public', '=', f.isPublic ? 1 : 0);
  }
  for (const [col, val] of Object.entries(f.columns ?? {}) as [keyof VolumeTypesTable, string][]) {
    q = q.where(sql.ref(`volume_types.${col}`), '=', val);
  }
  for (const [key, value] of Object.entries(f.extraSpecs ?? {})) {
    q = q.where((eb) => {
      let spec = eb
        .selectFrom('volume_type_extra_specs as es')
        .select('es.id')
        .whereRef('es.volume_type_id', '=', 'volume_types.id')
        .where('es.key', '=', key)
        .where('es.deleted', '=', 0);
      // NOTE: the AZ list is stored as "az1, az2", so Cinder matches it with LIKE.
      spec =
        key === 'RESKEY:availability_zones'
          ? spec.where('es.value', 'like', `%${value}%`)
          : spec.where('es.value', '=', value);
      return eb.exists(spec);
    });
  }
  let marker: Record<string, unknown> | null = null;
  if (page.marker) {
    // NOTE: type lists compare a null marker value as '' (so a null description still pages).
    marker = (await markerSortValues(db, 'volume_types', page.marker, sort, true)) ?? null;
    if (!marker) throw new VolumeTypeNotFound(page.marker);
  }
  return withExtraSpecs(db, await paginate(q, 'volume_types', sort, page, marker).execute());
}

/** How many live volume types exist (the last one may not be deleted). */
export async function volumeTypeCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('volume_types')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Projects whose `/default-types` entry is this type. */
export async function volumeTypeDefaultForProjects(db: Db, typeId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('default_volume_types')
    .select('project_id')
    .where('volume_type_id', '=', typeId)
    .execute();
  return rows.map((r) => r.project_id);
}

/**
 * Renames a type's per-type quota resources (`volumes_<old>` → `volumes_<new>`, same for
 * `gigabytes_` and `snapshots_`) in project limits, class limits and usages, as Cinder's
 * `update_quota_resource` does when a type is renamed.
 */
export async function volumeTypeQuotaResourcesRename(
  db: Db,
  oldName: string,
  newName: string,
): Promise<void> {
  const now = isoNow();
  for (const prefix of ['volumes', 'gigabytes', 'snapshots']) {
    const from = `${prefix}_${oldName}`;
    const to = `${prefix}_${newName}`;
    // NOTE: one live usage row per (project, resource) is a unique index. A live `to` row can only
    // be a leftover of a deleted type of that name; retire it (deleted = id) where it would collide.
    const projects = await db
      .selectFrom('quota_usages')
      .select('project_id')
      .where('resource', '=', from)
      .where('deleted', '=', 0)
      .execute();
    if (projects.length)
      await db
        .updateTable('quota_usages')
        .set({ deleted: sql<number>`id`, deleted_at: now, updated_at: now })
        .where('resource', '=', to)
        .where('deleted', '=', 0)
        .where(
          'project_id',
          'in',
          projects.map((p) => p.project_id),
        )
        .execute();
    await db
      .updateTable('quota_usages')
      .set({ resource: to, until_refresh: 1, updated_at: now })
      .where('resource', '=', from)
      .where('deleted', '=', 0)
      .execute();
    await db
      .updateTable('quota_classes')
      .set({ resource: to, updated_at: now })
      .where('resource', '=', from)
      .where('deleted', '=', 0)
      .execute();
    await db
      .updateTable('quotas')
      .set({ resource: to, updated_at: now })
      .where('resource', '=', from)
      .where('deleted', '=', 0)
      .execute();
  }
}

/** The `volume_types` row of `id` as stored (deleted or not), or undefined. */
export function volumeTypeRowGet(db: Db, id: string) {
  return db.selectFrom('volume_types').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The names of the live volume types, sorted (their per-type quota resources exist). */
export async function volumeTypeNames(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('volume_types')
    .select('name')
    .where('deleted', '=', 0)
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}
