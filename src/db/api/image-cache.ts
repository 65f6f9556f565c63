/**
 * The image-volume cache's entries (Cinder's `image_volume_cache_*` db api): which volume of the
 * internal tenant holds which image on which backend, and when it was last used. Entries are
 * looked up by image and by the backend (`host`, the cache volume's `host@backend#pool`) or, for a
 * clustered backend, by `cluster_name`; lists come most recently used first (eviction takes the
 * last). Like Cinder's, rows are removed, not soft-deleted.
 */
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { Database, ImageVolumeCacheEntriesTable } from '../schema.js';
import type { Db } from './common.js';
import { isoNow } from '../../common/time.js';
import { preparedQuery } from '../prepared-query.js';

/** One entry, as read. */
export type ImageVolumeCacheEntry = Selectable<ImageVolumeCacheEntriesTable>;

/** Where entries live: a backend's `host` (with its pool), or its cluster's `cluster_name`. */
export type ImageCacheScope = { readonly host: string } | { readonly cluster_name: string };

/** What a new entry records. */
export interface ImageVolumeCacheCreateValues {
  readonly host: string;
  readonly cluster_name: string | null;
  readonly image_id: string;
  /** The image's `updated_at`, as a stored timestamp (src/common/time.ts). */
  readonly image_updated_at: string | null;
  readonly volume_id: string;
  readonly size: number;
}

/** The condition of `scope`, for a `where`. */
function inScope(scope: ImageCacheScope) {
  return (eb: ExpressionBuilder<Database, 'image_volume_cache_entries'>) =>
    'cluster_name' in scope ? eb('cluster_name', '=', scope.cluster_name) : eb('host', '=', scope.host);
}

/** `image_volume_cache_create`: a new entry, `last_used` now. */
export async function imageVolumeCacheCreate(
  db: Db,
  values: ImageVolumeCacheCreateValues,
): Promise<ImageVolumeCacheEntry> {
  const last_used = isoNow();
  const row = { ...values, last_used };
  const inserted = await db.insertInto('image_volume_cache_entries').values(row).executeTakeFirst();
  // NOTE: PostgreSQL answers no insertId without RETURNING; read the row back by its volume.
  const id =
    inserted.insertId !== undefined
      ? Number(inserted.insertId)
      : (await imageVolumeCacheGetByVolumeId(db, values.volume_id))!.id;
  return { id, ...row };
}

/** `image_volume_cache_delete`: removes the entries of a cache volume (none is fine). */
export async function imageVolumeCacheDelete(db: Db, volumeId: string): Promise<void> {
  await db.deleteFrom('image_volume_cache_entries').where('volume_id', '=', volumeId).execute();
}

/**
 * `image_volume_cache_get_and_update_last_used`: the most recently used entry of `imageId` in
 * `scope`, its `last_used` set to now; null when there is none.
 */
export async function imageVolumeCacheGetAndUpdateLastUsed(
  db: Db,
  imageId: string,
  scope: ImageCacheScope,
): Promise<ImageVolumeCacheEntry | null> {
  const entry = await db
    .selectFrom('image_volume_cache_entries')
    .selectAll()
    .where('image_id', '=', imageId)
    .where(inScope(scope))
    .orderBy('last_used', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!entry) return null;
  const last_used = isoNow();
  await db.updateTable('image_volume_cache_entries').set({ last_used }).where('id', '=', entry.id).execute();
  return { ...entry, last_used };
}

/** `image_volume_cache_get_by_volume_id`: the entry of a cache volume, or null. */
export async function imageVolumeCacheGetByVolumeId(
  db: Db,
  volumeId: string,
): Promise<ImageVolumeCacheEntry | null> {
  return (await entryOfVolume(db, { volumeId })).rows[0] ?? null;
}

const entryOfVolume = preparedQuery((db, v: { volumeId: string }) =>
  db
    .selectFrom('image_volume_cache_entries')
    .selectAll()
    .where('volume_id', '=', v.volumeId)
    .orderBy('id')
    .limit(1),
);

/** `image_volume_cache_get_all`: the entries of `scope`, most recently used first. */
export async function imageVolumeCacheGetAll(
  db: Db,
  scope: ImageCacheScope,
): Promise<ImageVolumeCacheEntry[]> {
  return db
    .selectFrom('image_volume_cache_entries')
    .selectAll()
    .where(inScope(scope))
    .orderBy('last_used', 'desc')
    .orderBy('id', 'desc')
    .execute();
}
