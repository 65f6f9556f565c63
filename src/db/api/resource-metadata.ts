/**
 * Key/value rows that belong to one resource row (Cinder's `*_metadata` models and volume type
 * extra specs): each table has `key`, `value`, soft-delete columns and a column naming the owner.
 * These helpers read and write them the same way for every such table.
 */
import type { Db } from './common.js';
import { groupMetadata, softDeleteValues, toDict } from './common.js';
import type { Database } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { preparedQueries } from '../prepared-query.js';

/** Each key/value table and the column that names the row it belongs to (checked against the schema). */
const OWNER_COLUMN = {
  volume_metadata: 'volume_id',
  volume_admin_metadata: 'volume_id',
  snapshot_metadata: 'snapshot_id',
  backup_metadata: 'backup_id',
  volume_type_extra_specs: 'volume_type_id',
} as const satisfies { [T in keyof Database]?: keyof Database[T] };

/** A key/value table. */
export type MetadataTable = keyof typeof OWNER_COLUMN;

/** Inserts `meta` as live rows of `ownerId` (nothing when it is empty). */
export async function metadataInsert(
  db: Db,
  table: MetadataTable,
  ownerId: string,
  meta: Record<string, string>,
  now = isoNow(),
): Promise<void> {
  const owner = OWNER_COLUMN[table];
  const rows = Object.entries(meta).map(([key, value]) => ({
    [owner]: ownerId,
    key,
    value,
    created_at: now,
    deleted: 0 as const,
  }));
  if (rows.length) await db.insertInto(table).values(rows).execute();
}

/** The live rows of one owner as `{key: value}`. */
export async function metadataGet(
  db: Db,
  table: MetadataTable,
  ownerId: string,
): Promise<Record<string, string>> {
  return toDict((await liveRowsOfOne(table)(db, { ownerId })).rows);
}

/** Per table, the live rows of one owner. */
const liveRowsOfOne = preparedQueries(
  (table: MetadataTable) => (db: Db, v: { ownerId: string }) =>
    db
      .selectFrom(table)
      .select(['key', 'value'])
      .where(OWNER_COLUMN[table], '=', v.ownerId)
      .where('deleted', '=', 0),
);

interface OwnersKeys {
  ids: readonly string[];
  keys: readonly string[] | undefined;
}

/** Per table, its live rows of some owners (and keys), oldest first. */
const liveRowsQuery = preparedQueries((table: MetadataTable) => (db: Db, v: OwnersKeys) => {
  const owner = OWNER_COLUMN[table];
  let q = db
    .selectFrom(table)
    .select(['key', 'value', `${owner} as owner`])
    .where(owner, 'in', v.ids)
    .where('deleted', '=', 0);
  if (v.keys) q = q.where('key', 'in', v.keys);
  return q.orderBy('id');
});

/**
 * The live rows of many owners as `{key: value}` per owner id, in one query; `keys` limits the
 * rows to those keys. Owners without rows are absent. Keys keep the order the rows were written in.
 */
export async function metadataGetMany(
  db: Db,
  table: MetadataTable,
  ownerIds: readonly string[],
  keys?: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  if (ownerIds.length === 0) return new Map();
  return groupMetadata((await liveRowsQuery(table)(db, { ids: ownerIds, keys })).rows);
}

/**
 * Sets an owner's rows: merges `meta` into the live keys, or with `replace` makes the live set
 * exactly `meta`. Unchanged values are left alone. Returns the resulting dict.
 */
export async function metadataUpdate(
  db: Db,
  table: MetadataTable,
  ownerId: string,
  meta: Record<string, string>,
  replace: boolean,
): Promise<Record<string, string>> {
  const owner = OWNER_COLUMN[table];
  const now = isoNow();
  const current = await metadataGet(db, table, ownerId);
  if (replace) {
    const gone = Object.keys(current).filter((k) => !Object.hasOwn(meta, k));
    if (gone.length)
      await db
        .updateTable(table)
        .set(softDeleteValues(now))
        .where(owner, '=', ownerId)
        .where('key', 'in', gone)
        .where('deleted', '=', 0)
        .execute();
  }
  for (const [key, value] of Object.entries(meta)) {
    if (Object.hasOwn(current, key)) {
      if (current[key] !== value)
        await db
          .updateTable(table)
          .set({ value, updated_at: now })
          .where(owner, '=', ownerId)
          .where('key', '=', key)
          .where('deleted', '=', 0)
          .execute();
    } else {
      await metadataInsert(db, table, ownerId, { [key]: value }, now);
    }
  }
  return replace ? { ...meta } : { ...current, ...meta };
}

/** Soft-deletes one key of an owner; false when it was not there. */
export async function metadataDelete(
  db: Db,
  table: MetadataTable,
  ownerId: string,
  key: string,
): Promise<boolean> {
  const res = await db
    .updateTable(table)
    .set(softDeleteValues())
    .where(OWNER_COLUMN[table], '=', ownerId)
    .where('key', '=', key)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Soft-deletes every live row of an owner (with the owner's own soft-delete values, when given). */
export async function metadataDeleteAll(
  db: Db,
  table: MetadataTable,
  ownerId: string,
  deletedValues = softDeleteValues(),
): Promise<void> {
  await deleteAllQuery(table)(db, { ownerId, ...deletedValues });
}

type DeleteAll = { ownerId: string } & ReturnType<typeof softDeleteValues>;

/** Per table, the soft delete of all an owner's live rows. */
const deleteAllQuery = preparedQueries(
  (table: MetadataTable) =>
    (db: Db, { ownerId, ...sd }: DeleteAll) =>
      db.updateTable(table).set(sd).where(OWNER_COLUMN[table], '=', ownerId).where('deleted', '=', 0),
);
