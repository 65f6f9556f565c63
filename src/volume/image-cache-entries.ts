/**
 * The image-volume cache seen from a volume delete (Cinder's `volume/api.py` `delete`, which asks
 * `ImageVolumeCache.get_by_image_volume` and evicts): deleting a volume of the cache removes its
 * entry and announces `image_volume_cache.evict`. Kept apart from image-cache.ts so the volume API
 * can call it without importing the cache (which itself deletes volumes through the volume API).
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import {
  imageVolumeCacheDelete,
  imageVolumeCacheGetByVolumeId,
  type ImageVolumeCacheEntry,
} from '../db/api/image-cache.js';

type Deps = Pick<CoreDeps, 'config' | 'dbh' | 'notifier' | 'log'>;

/**
 * Cinder's `_notify_cache_action`: `image_volume_cache.<action>` from publisher
 * `volume.<[DEFAULT] host>` with `{image_id, host}`.
 */
export async function notifyImageCacheAction(
  deps: Deps,
  action: 'hit' | 'miss' | 'evict',
  imageId: string,
  host: string | null,
): Promise<void> {
  deps.log.debug({ action, image_id: imageId, host }, 'ImageVolumeCache notification');
  await deps.notifier.notify(`volume.${deps.config.DEFAULT.host}`, `image_volume_cache.${action}`, {
    image_id: imageId,
    host,
  });
}

/** `ImageVolumeCache.evict`: the entry's row goes, and `image_volume_cache.evict` is announced. */
export async function evictImageCacheEntry(
  deps: Deps,
  _ctx: RequestContext,
  entry: ImageVolumeCacheEntry,
): Promise<void> {
  deps.log.debug({ entry }, 'Evicting image cache entry');
  await imageVolumeCacheDelete(deps.dbh.db, entry.volume_id);
  await notifyImageCacheAction(deps, 'evict', entry.image_id, entry.host);
}

/** What the volume API's delete does for a volume of the cache: evicts its entry (none: nothing). */
export async function evictImageCacheEntryOfVolume(
  deps: Deps,
  ctx: RequestContext,
  volumeId: string,
): Promise<void> {
  const entry = await imageVolumeCacheGetByVolumeId(deps.dbh.db, volumeId);
  if (entry) await evictImageCacheEntry(deps, ctx, entry);
}
