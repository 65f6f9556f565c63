/**
 * Generic volume groups in the database (Cinder's `group_type_*`, `group_*` and `group_snapshot_*`
 * db functions): group types with their specs, groups with the volume types they take, group
 * snapshots, and the questions the group API asks of volumes and snapshots.
 */
import { sql } from 'kysely';
import type { Db, PageRequest } from './common.js';
import { paginate, softDeleteValues, withTieBreakers, markerSortValues } from './common.js';
import { conditionalUpdate, rowUpdate, type Expected } from './conditional-update.js';
import type { GroupSnapshotsTable, GroupsTable, GroupTypesTable } from '../schema.js';
import { isoNow } from '../../common/time.js';

/** A group type with its specs. */
export interface GroupTypeRecord extends GroupTypesTable {
  group_specs: Record<string, string | null>;
}

/** A group with the ids of the volume types it takes (in the order they were given). */
export interface GroupRecord extends GroupsTable {
  volume_type_ids: string[];
}

export type GroupSnapshotRecord = GroupSnapshotsTable;

/** A marker naming no row of the list's table. */
export class GroupMarkerNotFound extends Error {
  constructor(readonly marker: string) {
    super(`marker ${marker} not found`);
  }
}

// ---- group types ---------------------------------------------------------------------------------

async function withSpecs(db: Db, rows: GroupTypesTable[]): Promise<GroupTypeRecord[]> {
  if (rows.length === 0) return [];
  const specs = await db
    .selectFrom('group_type_specs')
    .select(['group_type_id', 'key', 'value'])
    .where('deleted', '=', 0)
    .where(
      'group_type_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    ...r,
    group_specs: Object.fromEntries(
      specs.filter((s) => s.group_type_id === r.id).map((s) => [s.key, s.value]),
    ),
  }));
}

export async function groupTypeCreate(
  db: Db,
  t: {
    id: string;
    name: string;
    description: string | null;
    is_public: boolean;
    specs: Record<string, string | null>;
  },
): Promise<void> {
  const now = isoNow();
  await db
    .insertInto('group_types')
    .values({
      id: t.id,
      name: t.name,
      description: t.description,
      is_public: t.is_public ? 1 : 0,
      created_at: now,
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    })
    .execute();
  await groupTypeSpecsUpdate(db, t.id, t.specs);
}

export async function groupTypeGet(db: Db, id: string): Promise<GroupTypeRecord | null> {
  const row = await db
    .selectFrom('group_types')
    .selectAll()
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row ? ((await withSpecs(db, [row]))[0] ?? null) : null;
}

export async function groupTypeGetByName(db: Db, name: string): Promise<GroupTypeRecord | null> {
  const row = await db
    .selectFrom('group_types')
    .selectAll()
    .where('name', '=', name)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row ? ((await withSpecs(db, [row]))[0] ?? null) : null;
}

/** A page of group types (`is_public` null: all), sorted like Cinder's `paginate_query`. */
export async function groupTypeList(
  db: Db,
  f: { isPublic: boolean | null },
  page: PageRequest,
): Promise<GroupTypeRecord[]> {
  const sort = withTieBreakers(page.sort, ['created_at', 'id']);
  let q = db.selectFrom('group_types').selectAll('group_types').where('group_types.deleted', '=', 0);
  if (f.isPublic !== null) q = q.where('group_types.is_public', '=', f.isPublic ? 1 : 0);
  let marker: Record<string, unknown> | null = null;
  if (page.marker) {
    marker = (await markerSortValues(db, 'group_types', page.marker, sort, true)) ?? null;
    if (!marker) throw new GroupMarkerNotFound(page.marker);
  }
  return withSpecs(db, await paginate(q, 'group_types', sort, page, marker).execute());
}

export async function groupTypeUpdate(
  db: Db,
  id: string,
  values: Partial<Pick<GroupTypesTable, 'name' | 'description' | 'is_public'>>,
): Promise<void> {
  await rowUpdate(db, 'group_types', id, values);
}

/** Whether a live group has the type (it may then not be deleted). */
export async function groupTypeInUse(db: Db, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('groups')
    .select('id')
    .where('group_type_id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row !== undefined;
}

/** Soft-deletes a group type and its specs. */
export async function groupTypeDestroy(db: Db, id: string): Promise<void> {
  const sd = softDeleteValues();
  await db.updateTable('group_types').set(sd).where('id', '=', id).where('deleted', '=', 0).execute();
  await db
    .updateTable('group_type_specs')
    .set(sd)
    .where('group_type_id', '=', id)
    .where('deleted', '=', 0)
    .execute();
}

/** Cinder's `group_type_specs_update_or_create`. */
export async function groupTypeSpecsUpdate(
  db: Db,
  typeId: string,
  specs: Record<string, string | null>,
): Promise<void> {
  const now = isoNow();
  for (const [key, value] of Object.entries(specs)) {
    const res = await db
      .updateTable('group_type_specs')
      .set({ value, updated_at: now })
      .where('group_type_id', '=', typeId)
      .where('key', '=', key)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) continue;
    await db
      .insertInto('group_type_specs')
      .values({
        group_type_id: typeId,
        key,
        value,
        created_at: now,
        updated_at: null,
        deleted_at: null,
        deleted: 0,
      })
      .execute();
  }
}

/** Soft-deletes one spec; false when the type has no such key. */
export async function groupTypeSpecsDelete(db: Db, typeId: string, key: string): Promise<boolean> {
  const res = await db
    .updateTable('group_type_specs')
    .set(softDeleteValues())
    .where('group_type_id', '=', typeId)
    .where('key', '=', key)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

// ---- groups --------------------------------------------------------------------------------------

async function withVolumeTypes(db: Db, rows: GroupsTable[]): Promise<GroupRecord[]> {
  if (rows.length === 0) return [];
  const maps = await db
    .selectFrom('group_volume_type_mapping')
    .select(['group_id', 'volume_type_id'])
    .where('deleted', '=', 0)
    .where(
      'group_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    ...r,
    volume_type_ids: maps.filter((m) => m.group_id === r.id).map((m) => m.volume_type_id),
  }));
}

export type GroupCreateValues = Omit<GroupsTable, 'created_at' | 'updated_at' | 'deleted_at' | 'deleted'> & {
  volume_type_ids: readonly string[];
};

/** Inserts a group and its volume type mappings. */
export async function groupCreate(db: Db, values: GroupCreateValues): Promise<GroupRecord> {
  const { volume_type_ids, ...row } = values;
  const now = isoNow();
  const full: GroupsTable = { ...row, created_at: now, updated_at: null, deleted_at: null, deleted: 0 };
  await db.insertInto('groups').values(full).execute();
  for (const typeId of volume_type_ids) await groupVolumeTypeMappingCreate(db, row.id, typeId);
  return { ...full, volume_type_ids: [...volume_type_ids] };
}

/** Adds a volume type to a group (once). */
export async function groupVolumeTypeMappingCreate(db: Db, groupId: string, typeId: string): Promise<void> {
  const exists = await db
    .selectFrom('group_volume_type_mapping')
    .select('id')
    .where('group_id', '=', groupId)
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (exists) return;
  await db
    .insertInto('group_volume_type_mapping')
    .values({
      group_id: groupId,
      volume_type_id: typeId,
      created_at: isoNow(),
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    })
    .execute();
}

/** One live group, or null (project-scoped when `projectId` is given). */
export async function groupGet(db: Db, id: string, projectId?: string | null): Promise<GroupRecord | null> {
  let q = db.selectFrom('groups').selectAll().where('id', '=', id).where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  const row = await q.executeTakeFirst();
  return row ? ((await withVolumeTypes(db, [row]))[0] ?? null) : null;
}

/** Columns of `groups` a list may be filtered and sorted by. */
export const GROUP_COLUMNS = [
  'id',
  'user_id',
  'project_id',
  'host',
  'cluster_name',
  'availability_zone',
  'name',
  'description',
  'group_type_id',
  'status',
  'group_snapshot_id',
  'source_group_id',
  'replication_status',
  'created_at',
  'updated_at',
] as const;

/** A page of groups (of one project unless `projectId` is null), exact-match column filters. */
export async function groupGetAll(
  db: Db,
  f: { projectId: string | null; columns: Record<string, string> },
  page: PageRequest,
): Promise<GroupRecord[]> {
  const sort = withTieBreakers(page.sort, ['created_at', 'id']);
  let q = db.selectFrom('groups').selectAll('groups').where('groups.deleted', '=', 0);
  if (f.projectId) q = q.where('groups.project_id', '=', f.projectId);
  for (const [col, val] of Object.entries(f.columns)) q = q.where(sql.ref(`groups.${col}`), '=', val);
  let marker: Record<string, unknown> | null = null;
  if (page.marker) {
    marker = (await markerSortValues(db, 'groups', page.marker, sort)) ?? null;
    if (!marker) throw new GroupMarkerNotFound(page.marker);
  }
  return withVolumeTypes(db, await paginate(q, 'groups', sort, page, marker).execute());
}

export async function groupUpdate(db: Db, id: string, values: Partial<GroupsTable>): Promise<void> {
  await rowUpdate(db, 'groups', id, values);
}

/** Compare-and-swap on a group (Cinder's `conditional_update`). */
export function groupConditionalUpdate(
  db: Db,
  id: string,
  values: Partial<GroupsTable>,
  expected: Expected<'groups'>,
): Promise<boolean> {
  return conditionalUpdate(db, 'groups', id, values, expected);
}

/** Soft-deletes a group and its volume type mappings. */
export async function groupDestroy(db: Db, id: string): Promise<void> {
  const sd = softDeleteValues();
  await db.updateTable('groups').set(sd).where('id', '=', id).where('deleted', '=', 0).execute();
  await db
    .updateTable('group_volume_type_mapping')
    .set(sd)
    .where('group_id', '=', id)
    .where('deleted', '=', 0)
    .execute();
}

/** Live volumes of a group (id, status, project, type, size, host…), oldest first. */
export function groupVolumes(db: Db, groupId: string) {
  return db
    .selectFrom('volumes')
    .selectAll()
    .where('group_id', '=', groupId)
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Whether a group or group snapshot is the source of a group still `creating`. */
export async function groupCreatingFromSource(
  db: Db,
  source: { groupId?: string; groupSnapshotId?: string },
): Promise<boolean> {
  let q = db.selectFrom('groups').select('id').where('deleted', '=', 0).where('status', '=', 'creating');
  if (source.groupId) q = q.where('source_group_id', '=', source.groupId);
  if (source.groupSnapshotId) q = q.where('group_snapshot_id', '=', source.groupSnapshotId);
  return (await q.executeTakeFirst()) !== undefined;
}

// ---- group snapshots -----------------------------------------------------------------------------

export async function groupSnapshotCreate(
  db: Db,
  values: Omit<GroupSnapshotsTable, 'created_at' | 'updated_at' | 'deleted_at' | 'deleted'>,
): Promise<GroupSnapshotRecord> {
  const full: GroupSnapshotsTable = {
    ...values,
    created_at: isoNow(),
    updated_at: null,
    deleted_at: null,
    deleted: 0,
  };
  await db.insertInto('group_snapshots').values(full).execute();
  return full;
}

export async function groupSnapshotGet(
  db: Db,
  id: string,
  projectId?: string | null,
): Promise<GroupSnapshotRecord | null> {
  let q = db.selectFrom('group_snapshots').selectAll().where('id', '=', id).where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  return (await q.executeTakeFirst()) ?? null;
}

/** Columns of `group_snapshots` a list may be filtered and sorted by. */
export const GROUP_SNAPSHOT_COLUMNS = [
  'id',
  'group_id',
  'user_id',
  'project_id',
  'name',
  'description',
  'status',
  'group_type_id',
  'created_at',
  'updated_at',
] as const;

export async function groupSnapshotGetAll(
  db: Db,
  f: { projectId: string | null; columns: Record<string, string> },
  page: PageRequest,
): Promise<GroupSnapshotRecord[]> {
  const sort = withTieBreakers(page.sort, ['created_at', 'id']);
  let q = db
    .selectFrom('group_snapshots')
    .selectAll('group_snapshots')
    .where('group_snapshots.deleted', '=', 0);
  if (f.projectId) q = q.where('group_snapshots.project_id', '=', f.projectId);
  for (const [col, val] of Object.entries(f.columns))
    q = q.where(sql.ref(`group_snapshots.${col}`), '=', val);
  let marker: Record<string, unknown> | null = null;
  if (page.marker) {
    marker = (await markerSortValues(db, 'group_snapshots', page.marker, sort)) ?? null;
    if (!marker) throw new GroupMarkerNotFound(page.marker);
  }
  return paginate(q, 'group_snapshots', sort, page, marker).execute();
}

export async function groupSnapshotUpdate(
  db: Db,
  id: string,
  values: Partial<GroupSnapshotsTable>,
): Promise<void> {
  await rowUpdate(db, 'group_snapshots', id, values);
}

export function groupSnapshotConditionalUpdate(
  db: Db,
  id: string,
  values: Partial<GroupSnapshotsTable>,
  expected: Expected<'group_snapshots'>,
): Promise<boolean> {
  return conditionalUpdate(db, 'group_snapshots', id, values, expected);
}

export async function groupSnapshotDestroy(db: Db, id: string): Promise<void> {
  await db
    .updateTable('group_snapshots')
    .set(softDeleteValues())
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .execute();
}

/** Whether a group has live group snapshots. */
export async function groupHasSnapshots(db: Db, groupId: string): Promise<boolean> {
  const row = await db
    .selectFrom('group_snapshots')
    .select('id')
    .where('group_id', '=', groupId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row !== undefined;
}

/** The live snapshots taken for a group snapshot. */
export function snapshotsOfGroupSnapshot(db: Db, groupSnapshotId: string) {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('group_snapshot_id', '=', groupSnapshotId)
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Which of the groups `ids` are of the group type `groupTypeId`: their ids. */
export function groupIdsOfType(db: Db, ids: string[], groupTypeId: string): Promise<{ id: string }[]> {
  return db
    .selectFrom('groups')
    .select('id')
    .where('id', 'in', ids)
    .where('group_type_id', '=', groupTypeId)
    .execute();
}
