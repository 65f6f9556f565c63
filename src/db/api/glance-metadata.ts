/**
 * Volume image metadata (Cinder's `volume_glance_metadata_*` db api): the image properties a volume
 * carries — written when it is created from an image, set by `os-set_image_metadata`, copied to a
 * snapshot of a bootable volume and from there (or from a cloned volume) to new volumes, kept and
 * restored by backups. Each row belongs to a volume or to a snapshot (never both).
 *
 * Reads answer `{key: value}` in the order the keys were written; an owner without rows answers
 * `{}` (Cinder raises `GlanceMetadataNotFound` there: callers that must, raise it themselves).
 * The copies replace what their target had, so a create that is retried (rescheduled, resumed
 * after a crash) copies once.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import { preparedQueries, preparedQuery } from '../prepared-query.js';
import { Invalid, NotFound } from '../../common/errors.js';
import type { Database } from '../schema.js';
import type { Db } from './common.js';
import { groupMetadata, softDeleteValues, toDict } from './common.js';
import { isoNow } from '../../common/time.js';
import { setKey } from '../../common/dict.js';

/** Cinder's `GlanceMetadataNotFound` (404). */
export class GlanceMetadataNotFound extends NotFound {
  constructor(id: string) {
    super(`Glance metadata for volume/snapshot ${id} cannot be found.`);
  }
}

/** Cinder's `GlanceMetadataExists` (400): `create`/`bulkCreate` never change a live key. */
export class GlanceMetadataExists extends Invalid {
  constructor(key: string, volumeId: string) {
    super(`Glance metadata cannot be updated, key ${key} exists for volume id ${volumeId}`);
  }
}

type Owner = 'volume_id' | 'snapshot_id';

/** Runs `fn` in a transaction, or in the caller's when `db` already is one. */
function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

async function getOf(db: Db, owner: Owner, id: string): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('volume_glance_metadata')
    .select(['key', 'value'])
    .where(owner, '=', id)
    .where('deleted', '=', 0)
    .orderBy('id')
    .execute();
  return toDict(rows);
}

/** `volume_glance_metadata_get`: a volume's image metadata (`{}` when it has none). */
export function volumeGlanceMetadataGet(db: Db, volumeId: string): Promise<Record<string, string>> {
  return getOf(db, 'volume_id', volumeId);
}

/** `volume_snapshot_glance_metadata_get`: a snapshot's copy (`{}` when it has none). */
export function volumeSnapshotGlanceMetadataGet(db: Db, snapshotId: string): Promise<Record<string, string>> {
  return getOf(db, 'snapshot_id', snapshotId);
}

const liveRowsOfVolumes = preparedQuery((db, v: { ids: readonly string[] }) =>
  db
    .selectFrom('volume_glance_metadata')
    .select(['volume_id as owner', 'key', 'value'])
    .where('volume_id', 'in', v.ids)
    .where('deleted', '=', 0)
    .orderBy('id')
    .$narrowType<{ owner: string }>(),
);

/**
 * `volume_glance_metadata_list_get`: the image metadata of many volumes in one query, per volume
 * id; volumes without any are absent from the map.
 */
export async function volumeGlanceMetadataListGet(
  db: Db,
  volumeIds: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  if (volumeIds.length === 0) return new Map();
  return groupMetadata((await liveRowsOfVolumes(db, { ids: volumeIds })).rows);
}

function insertRows(db: Db, owner: Owner, id: string, meta: Record<string, string>, now = isoNow()) {
  const rows = Object.entries(meta).map(([key, value]) => ({
    volume_id: owner === 'volume_id' ? id : null,
    snapshot_id: owner === 'snapshot_id' ? id : null,
    key,
    value: String(value),
    created_at: now,
    deleted: 0 as const,
  }));
  return rows.length ? db.insertInto('volume_glance_metadata').values(rows).execute() : Promise.resolve();
}

/**
 * `volume_glance_metadata_bulk_create` (what a create from an image writes): adds `metadata` to
 * the volume; `GlanceMetadataExists` when one of its keys is already there (nothing is written).
 * Values are stored as strings (Cinder's `str(value)`).
 */
export async function volumeGlanceMetadataBulkCreate(
  db: Db,
  volumeId: string,
  metadata: Record<string, string | number | boolean>,
): Promise<void> {
  const keys = Object.keys(metadata);
  if (keys.length === 0) return;
  await inTransaction(db, async (trx) => {
    const clash = await trx
      .selectFrom('volume_glance_metadata')
      .select('key')
      .where('volume_id', '=', volumeId)
      .where('key', 'in', keys)
      .where('deleted', '=', 0)
      .orderBy('id')
      .executeTakeFirst();
    if (clash) throw new GlanceMetadataExists(clash.key, volumeId);
    await insertRows(
      trx,
      'volume_id',
      volumeId,
      Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
    );
  });
}

/**
 * `volume_glance_metadata_delete_by_volume` then `volume_glance_metadata_create` for each key, in
 * one transaction (a backup restore's `_restore_vol_glance_meta`): the volume's image metadata
 * becomes exactly `metadata`.
 */
export function volumeGlanceMetadataReplace(
  db: Db,
  volumeId: string,
  metadata: Record<string, string | number | boolean>,
): Promise<void> {
  return inTransaction(db, async (trx) => {
    await deleteBy(trx, 'volume_id', volumeId);
    await volumeGlanceMetadataBulkCreate(trx, volumeId, metadata);
  });
}

/** `volume_glance_metadata_create`: one key (see {@link volumeGlanceMetadataBulkCreate}). */
export function volumeGlanceMetadataCreate(
  db: Db,
  volumeId: string,
  key: string,
  value: string | number | boolean,
): Promise<void> {
  return volumeGlanceMetadataBulkCreate(db, volumeId, { [key]: value });
}

/**
 * `volume_metadata_update(meta_type=IMAGE, delete=False)` (`os-set_image_metadata`): merges
 * `metadata` into the volume's keys, changing the values that differ. Answers every key the
 * volume now has, in Cinder's order: the changed keys, the new ones, then the untouched ones.
 */
export async function volumeGlanceMetadataUpdate(
  db: Db,
  volumeId: string,
  metadata: Record<string, string>,
): Promise<Record<string, string>> {
  return inTransaction(db, async (trx) => {
    const now = isoNow();
    const current = await volumeGlanceMetadataGet(trx, volumeId);
    const changed: Record<string, string> = {};
    const untouched: Record<string, string> = {};
    for (const [key, value] of Object.entries(current)) {
      if (Object.hasOwn(metadata, key) && metadata[key] !== value) setKey(changed, key, metadata[key]!);
      else setKey(untouched, key, value);
    }
    const added = Object.fromEntries(Object.entries(metadata).filter(([k]) => !Object.hasOwn(current, k)));
    for (const [key, value] of Object.entries(changed))
      await trx
        .updateTable('volume_glance_metadata')
        .set({ value, updated_at: now })
        .where('volume_id', '=', volumeId)
        .where('key', '=', key)
        .where('deleted', '=', 0)
        .execute();
    await insertRows(trx, 'volume_id', volumeId, added, now);
    return { ...changed, ...added, ...untouched };
  });
}

/** `volume_metadata_delete(meta_type=IMAGE)`: soft-deletes one key; false when it was not there. */
export async function volumeGlanceMetadataDeleteKey(db: Db, volumeId: string, key: string): Promise<boolean> {
  const res = await db
    .updateTable('volume_glance_metadata')
    .set(softDeleteValues())
    .where('volume_id', '=', volumeId)
    .where('key', '=', key)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

const deleteByOwner = preparedQueries(
  (owner: Owner) =>
    (db: Db, { id, ...sd }: { id: string } & ReturnType<typeof softDeleteValues>) =>
      db.updateTable('volume_glance_metadata').set(sd).where(owner, '=', id).where('deleted', '=', 0),
);

async function deleteBy(db: Db, owner: Owner, id: string, now = isoNow()): Promise<void> {
  await deleteByOwner(owner)(db, { id, ...softDeleteValues(now) });
}

/** `volume_glance_metadata_delete_by_volume`: soft-deletes all of a volume's rows. */
export function volumeGlanceMetadataDeleteByVolume(db: Db, volumeId: string): Promise<void> {
  return deleteBy(db, 'volume_id', volumeId);
}

/** `volume_glance_metadata_delete_by_snapshot`: soft-deletes all of a snapshot's rows. */
export function volumeGlanceMetadataDeleteBySnapshot(db: Db, snapshotId: string): Promise<void> {
  return deleteBy(db, 'snapshot_id', snapshotId);
}

/**
 * Copies the live rows of `from` to `to` in one `INSERT … SELECT`, after soft-deleting what `to`
 * had, in one transaction. Returns how many keys were copied (0: the source had none, which Cinder
 * reports as `GlanceMetadataNotFound` and its callers ignore).
 */
async function copy(
  db: Db,
  from: { owner: Owner; id: string },
  to: { owner: Owner; id: string },
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const now = isoNow();
    await deleteBy(trx, to.owner, to.id, now);
    const res = await trx
      .insertInto('volume_glance_metadata')
      .columns(['volume_id', 'snapshot_id', 'key', 'value', 'created_at', 'deleted'])
      .expression(
        trx
          .selectFrom('volume_glance_metadata')
          .select([
            sql<string | null>`${to.owner === 'volume_id' ? to.id : null}`.as('volume_id'),
            sql<string | null>`${to.owner === 'snapshot_id' ? to.id : null}`.as('snapshot_id'),
            'key',
            'value',
            sql<string>`${now}`.as('created_at'),
            sql<number>`0`.as('deleted'),
          ])
          .where(from.owner, '=', from.id)
          .where('deleted', '=', 0)
          .orderBy('id'),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0);
  });
}

/** `volume_glance_metadata_copy_to_snapshot`: the volume's rows become the snapshot's. */
export function volumeGlanceMetadataCopyToSnapshot(
  db: Db,
  snapshotId: string,
  volumeId: string,
): Promise<number> {
  return copy(db, { owner: 'volume_id', id: volumeId }, { owner: 'snapshot_id', id: snapshotId });
}

/** `volume_glance_metadata_copy_to_volume`: a snapshot's rows become the volume's (made from it). */
export function volumeGlanceMetadataCopyToVolume(
  db: Db,
  volumeId: string,
  snapshotId: string,
): Promise<number> {
  return copy(db, { owner: 'snapshot_id', id: snapshotId }, { owner: 'volume_id', id: volumeId });
}

/** `volume_glance_metadata_copy_from_volume_to_volume`: a source volume's rows become its clone's. */
export function volumeGlanceMetadataCopyFromVolumeToVolume(
  db: Db,
  srcVolumeId: string,
  volumeId: string,
): Promise<number> {
  return copy(db, { owner: 'volume_id', id: srcVolumeId }, { owner: 'volume_id', id: volumeId });
}

/**
 * The `glance_metadata` list filter (`_process_volume_filters`): volumes having every key with
 * that value; `null` (a filter value that is not a dict) matches no volume, as in Cinder.
 */
export function whereGlanceMetadata<O>(
  q: SelectQueryBuilder<Database, 'volumes', O>,
  metadata: Readonly<Record<string, string>> | null,
): SelectQueryBuilder<Database, 'volumes', O> {
  if (metadata === null) return q.where(sql<boolean>`1 = 0`);
  for (const [key, value] of Object.entries(metadata)) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('volume_glance_metadata as vgm')
          .select('vgm.id')
          .whereRef('vgm.volume_id', '=', 'volumes.id')
          .where('vgm.key', '=', key)
          .where('vgm.value', '=', value)
          .where('vgm.deleted', '=', 0),
      ),
    );
  }
  return q;
}
