/**
 * The ways a volume is made from an image without downloading it into this volume, tried before the
 * download of create-from-image.ts, in Cinder's order (`CreateVolumeFromSpecTask._create_from_image`):
 * 1. the driver's `cloneImage` (Cinder's `clone_image`: RBD clones an image of the same cluster
 *    copy-on-write), never for an encrypted volume;
 * 2. the image-volume cache (src/volume/image-cache.ts), when the backend has one and the volume is
 *    not encrypted: under a lock on the image id, a miss downloads the image into this volume
 *    (created at the image's virtual size), makes the cache's volume a clone of it, and grows this
 *    volume back to its size (`_prepare_image_cache_entry`, `_create_from_image_cache_or_download`
 *    with `update_cache`); a hit clones the cache's volume (`_create_from_image_cache`, the
 *    driver's `createClonedVolume`, which also grows the clone).
 * Null from {@link createFromImageWithoutDownload}: none applied, download as usual.
 * NOTE: as in Cinder, each lookup announces itself: a hit is announced twice (once by the
 * prepare step, once by the clone), a miss three times (prepare, clone, entry creation).
 */
import type { RequestContext } from '../../../common/context.js';
import { ImageCopyFailure, VolumeNotFound } from '../../../common/errors.js';
import { volumeGet, volumeUpdate, type VolumeRecord } from '../../../db/api/volumes.js';
import type { ImageMeta } from '../../../image/index.js';
import { checkVirtualSize, withFetchedImage } from '../../../image/image-utils.js';
import type { DriverVolume, ImageLocationInfo, ModelUpdate } from '../../driver.js';
import { internalTenantContext, type ImageVolumeCache } from '../../image-cache.js';
import { volumeDeleteLock } from '../../snapshot-driver.js';
import type { ImageCreateContext } from './image-create-context.js';
import { toDriverVolume } from '../../driver-volume.js';

/** A volume made without a download: the driver's model update. */
export interface MadeWithoutDownload {
  readonly update: ModelUpdate | null;
  /** How: the driver cloned the image, the cache was hit, or a miss downloaded and filled it. */
  readonly how: 'clone_image' | 'cache_hit' | 'cache_miss';
}

export async function createFromImageWithoutDownload(
  c: ImageCreateContext,
  ctx: RequestContext,
  volume: VolumeRecord,
  target: DriverVolume,
  imageId: string,
  meta: ImageMeta,
): Promise<MadeWithoutDownload | null> {
  const encrypted = volume.encryption_key_id !== null;
  if (!encrypted && c.driver.cloneImage) {
    const r = await c.driver.cloneImage(target, imageLocation(meta), meta);
    if (r.cloned) return { update: r.update, how: 'clone_image' };
  }
  const cache = c.imageCache;
  if (!cache || encrypted) return null;
  const internal = internalTenantContext(c.deps.config);
  if (!internal) {
    c.deps.log.info('Unable to get Cinder internal context, will not use image-volume cache.');
    return null;
  }
  const prepared = await prepareImageCacheEntry(c, cache, internal, ctx, volume, target, imageId, meta);
  if (prepared) return { update: prepared.update, how: 'cache_miss' };
  const hit = await createFromImageCache(c, cache, internal, volume, target, imageId, meta);
  return hit ? { update: hit.update, how: 'cache_hit' } : null;
}

/**
 * Cinder's `get_location` (`direct_url`, `locations`), read from the image record the create has
 * just fetched rather than asked of Glance a second time.
 */
export function imageLocation(meta: ImageMeta): ImageLocationInfo {
  const locations = Array.isArray(meta.locations) ? (meta.locations as unknown[]) : [];
  return {
    directUrl: typeof meta.direct_url === 'string' ? meta.direct_url : null,
    locations: locations.flatMap((l) =>
      l && typeof (l as { url?: unknown }).url === 'string' ? [{ url: (l as { url: string }).url }] : [],
    ),
  };
}

/**
 * `_prepare_image_cache_entry`: under a lock on the image id (so one create fills the cache and the
 * others wait, then hit), nothing when the image has an entry; else this volume is made by
 * download and the entry from it. Returns the model update of a volume made here, or null.
 */
async function prepareImageCacheEntry(
  c: ImageCreateContext,
  cache: ImageVolumeCache,
  internal: RequestContext,
  ctx: RequestContext,
  volume: VolumeRecord,
  target: DriverVolume,
  imageId: string,
  meta: ImageMeta,
): Promise<{ update: ModelUpdate | null } | null> {
  return c.deps.coordinator.withLock(imageId, async () => {
    if (await cache.getEntry(internal, volume, imageId, meta)) return null;
    return { update: await downloadAndCache(c, cache, internal, ctx, volume, target, imageId, meta) };
  });
}

/**
 * `_create_from_image_cache`: when the image has an entry on the volume's backend, this volume is a
 * clone of the entry's volume (holding that volume's delete lock meanwhile). Any failure there
 * means a download instead (logged; a partial clone is removed first).
 */
async function createFromImageCache(
  c: ImageCreateContext,
  cache: ImageVolumeCache,
  internal: RequestContext,
  volume: VolumeRecord,
  target: DriverVolume,
  imageId: string,
  meta: ImageMeta,
): Promise<{ update: ModelUpdate | null } | null> {
  const db = c.deps.dbh.db;
  try {
    const entry = await cache.getEntry(internal, volume, imageId, meta);
    if (!entry) return null;
    if (!c.driver.createClonedVolume) {
      c.deps.log.warn(
        'Backend does not support creating image-volume clone. Image will be downloaded from Glance.',
      );
      return null;
    }
    const update = await c.deps.coordinator.withLock(volumeDeleteLock(entry.volume_id), async () => {
      const source = await volumeGet(db, entry.volume_id);
      if (!source) throw new VolumeNotFound(entry.volume_id);
      return c.driver.createClonedVolume!(target, toDriverVolume(source));
    });
    return { update };
  } catch (e) {
    c.deps.log.warn(
      { err: e, volume_id: volume.id, image_id: imageId },
      'Failed to create volume from image-volume cache, image will be downloaded from Glance.',
    );
    // NOTE: the download writes only the image's non-zero bytes into what must read as zeros.
    await c.driver.deleteVolume(target);
    return null;
  }
}

/**
 * `_create_from_image_cache_or_download` with `update_cache`: the cache is asked once more, then
 * the image is fetched and checked, this volume made at the image's virtual size (when smaller than
 * the volume) and the image written into it; the cache's volume is cloned from it
 * (`_create_image_cache_volume_entry`, which only logs its failures), and this volume grown back to
 * its size — also when something failed, as Cinder's `finally`.
 */
async function downloadAndCache(
  c: ImageCreateContext,
  cache: ImageVolumeCache,
  internal: RequestContext,
  ctx: RequestContext,
  volume: VolumeRecord,
  target: DriverVolume,
  imageId: string,
  meta: ImageMeta,
): Promise<ModelUpdate | null> {
  const hit = await createFromImageCache(c, cache, internal, volume, target, imageId, meta);
  if (hit) return hit.update;
  const images = c.images;
  if (!images || !c.driver.copyImageToVolume)
    throw new ImageCopyFailure('no image service or driver support');
  const db = c.deps.dbh.db;
  const originalSize = volume.size;
  let size = originalSize;
  let update: ModelUpdate | null = null;
  let made = false;
  let failure: { error: unknown } | null = null;
  try {
    await withFetchedImage(images, ctx, meta, c.imageOptions, async (path, info) => {
      const virtual = checkVirtualSize(info['virtual-size'], volume.size, imageId);
      if (virtual && virtual !== originalSize) {
        size = virtual;
        await volumeUpdate(db, volume.id, { size });
      }
      update = await c.driver.createVolume({ ...target, size });
      made = true;
      await volumeUpdate(db, volume.id, { ...(update ?? {}), status: 'downloading' });
      await c.driver.copyImageToVolume!(
        { ...target, ...(update ?? {}), size },
        { path, format: info.format },
      );
    });
    const filled = await volumeGet(db, volume.id);
    if (filled) await cache.createImageCacheVolumeEntry(internal, filled, imageId, meta);
  } catch (e) {
    failure = { error: e };
  }
  if (size !== originalSize) {
    try {
      if (made) await c.driver.extendVolume({ ...target, ...(update ?? {}), size }, originalSize);
    } catch (e) {
      // NOTE: Cinder's finally raises this one; Kindling keeps the error that got here first.
      if (failure)
        c.deps.log.warn({ err: e, volume_id: volume.id }, 'Could not grow the volume back to its size');
      else failure = { error: e };
    }
    await volumeUpdate(db, volume.id, { size: originalSize });
  }
  if (failure) throw failure.error;
  return update;
}
