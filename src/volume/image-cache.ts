/**
 * The image-volume cache of one backend (Cinder's `cinder/image/cache.py` `ImageVolumeCache`, with
 * the volume manager's `_create_image_cache_volume_entry` and `_clone_image_volume`).
 *
 * With `image_volume_cache_enabled` on a backend and an internal tenant configured
 * (`cinder_internal_tenant_project_id`/`_user_id`), the first create of a volume from an image on
 * that backend also makes a volume of the internal tenant, `image-<image id>`, a clone of the new
 * volume, and records it in `image_volume_cache_entries`; later creates of the image on the same
 * backend (host, or cluster) clone that volume instead of downloading the image
 * (flows/manager/create-from-image-cache.ts). An entry whose image has changed in Glance since
 * (`updated_at`) is deleted on lookup; `ensure_space` deletes the least recently used entries to
 * keep within `image_volume_cache_max_size_gb` / `_max_count` (0: unlimited). Lookups announce
 * `image_volume_cache.hit`/`.miss`, deletions `.evict` (payload `{image_id, host}`).
 *
 * Cache volumes are ordinary volumes: they count in the internal tenant's quota (as Cinder's: it
 * reserves and commits `volumes`/`gigabytes` for that project), are `readonly` in admin metadata,
 * and are deleted through the volume API, whose delete removes their entry
 * (image-cache-entries.ts).
 */
import { newRequestId, type RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { InvalidVolume } from '../common/errors.js';
import {
  imageVolumeCacheCreate,
  imageVolumeCacheGetAll,
  imageVolumeCacheGetAndUpdateLastUsed,
  imageVolumeCacheGetByVolumeId,
  type ImageCacheScope,
  type ImageVolumeCacheEntry,
} from '../db/api/image-cache.js';
import { metadataUpdate } from '../db/api/resource-metadata.js';
import { volumeCreate, volumeGet, volumeUpdate, type VolumeRecord } from '../db/api/volumes.js';
import { withDeadlockRetry } from '../db/retry.js';
import { formatTimestamp, isoNow } from '../common/time.js';
import type { ImageMeta } from '../image/index.js';
import { volumeDeltas } from '../quota/resources.js';
import {
  commitVolumeQuota,
  discardVolumeIfQuotaPending,
  pendingQuotaMetadata,
} from '../quota/volume-reservations.js';
import { newUuid } from '../common/uuid.js';
import {
  evictImageCacheEntry,
  evictImageCacheEntryOfVolume,
  notifyImageCacheAction,
} from './image-cache-entries.js';

export { evictImageCacheEntryOfVolume };

/**
 * Cinder's `get_internal_tenant_context`: an admin context of the internal tenant, or null when
 * `cinder_internal_tenant_project_id` or `_user_id` is unset.
 */
export function internalTenantContext(config: CoreDeps['config']): RequestContext | null {
  const d = config.DEFAULT;
  if (!d.cinder_internal_tenant_project_id || !d.cinder_internal_tenant_user_id) return null;
  return {
    userId: d.cinder_internal_tenant_user_id,
    projectId: d.cinder_internal_tenant_project_id,
    isAdmin: true,
    roles: ['admin'],
    requestId: newRequestId(),
  };
}

/** What the cache borrows from its volume service. */
export interface ImageCacheVolumeOps {
  /** Runs the manager's create of a volume row placed on this backend (no rescheduling). */
  createVolume(ctx: RequestContext, volumeId: string): Promise<void>;
  /** The manager's delete_volume of a volume already `deleting` (a cache volume that failed). */
  deleteVolume(ctx: RequestContext, volumeId: string): Promise<void>;
  /** The volume API's delete (status check, entry evicted, cast to the backend). */
  apiDelete(ctx: RequestContext, volume: VolumeRecord): Promise<void>;
}

/** The cache's limits (`image_volume_cache_max_size_gb`, `_max_count`; 0: unlimited). */
export interface ImageCacheLimits {
  readonly maxSizeGb: number;
  readonly maxCount: number;
}

/** A stored timestamp of Glance's `updated_at` (ISO 8601 with a zone), or null. */
export function imageUpdatedAt(meta: ImageMeta): string | null {
  const v = meta.updated_at;
  if (typeof v !== 'string' || !v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : formatTimestamp(d);
}

export class ImageVolumeCache {
  constructor(
    private readonly deps: CoreDeps,
    readonly limits: ImageCacheLimits,
    private readonly ops: ImageCacheVolumeOps,
  ) {}

  /**
   * The cache of backend `backendName` when its section enables it (`image_volume_cache_enabled`),
   * else null. Like Cinder's manager, the internal tenant is looked up per use, not here.
   */
  static forBackend(deps: CoreDeps, backendName: string, ops: ImageCacheVolumeOps): ImageVolumeCache | null {
    const section = deps.config.backends[backendName];
    if (!section?.image_volume_cache_enabled) {
      deps.log.info({ backend: backendName }, 'Image-volume cache disabled for host');
      return null;
    }
    deps.log.info({ backend: backendName }, 'Image-volume cache enabled for host');
    return new ImageVolumeCache(
      deps,
      {
        maxSizeGb: section.image_volume_cache_max_size_gb,
        maxCount: section.image_volume_cache_max_count,
      },
      ops,
    );
  }

  /** Cinder's `_get_query_filters`: a clustered volume's entries are its cluster's. */
  static scopeOf(volume: Pick<VolumeRecord, 'host' | 'cluster_name'>): ImageCacheScope {
    return volume.cluster_name ? { cluster_name: volume.cluster_name } : { host: volume.host ?? '' };
  }

  getByImageVolume(volumeId: string): Promise<ImageVolumeCacheEntry | null> {
    return imageVolumeCacheGetByVolumeId(this.deps.dbh.db, volumeId);
  }

  evict(ctx: RequestContext, entry: ImageVolumeCacheEntry): Promise<void> {
    return evictImageCacheEntry(this.deps, ctx, entry);
  }

  /**
   * `get_entry`: the most recently used entry of the image for the volume's backend (its
   * `last_used` now). One whose image was updated in Glance since it was made is deleted (with its
   * volume) and not returned. Announces `hit` or `miss`.
   */
  async getEntry(
    ctx: RequestContext,
    volume: Pick<VolumeRecord, 'host' | 'cluster_name'>,
    imageId: string,
    meta: ImageMeta,
  ): Promise<ImageVolumeCacheEntry | null> {
    let entry = await imageVolumeCacheGetAndUpdateLastUsed(
      this.deps.dbh.db,
      imageId,
      ImageVolumeCache.scopeOf(volume),
    );
    if (entry && entry.image_updated_at !== imageUpdatedAt(meta)) {
      this.deps.log.info(
        { entry, image_updated_at: imageUpdatedAt(meta) },
        'Image-volume cache entry is out-dated, evicting',
      );
      await this.#deleteImageVolume(ctx, entry);
      entry = null;
    }
    if (entry) await notifyImageCacheAction(this.deps, 'hit', entry.image_id, entry.host);
    else await notifyImageCacheAction(this.deps, 'miss', imageId, volume.host);
    return entry;
  }

  /** `create_cache_entry`: records an `available` cache volume as the image's entry. */
  async createCacheEntry(
    _ctx: RequestContext,
    volume: VolumeRecord,
    imageId: string,
    meta: ImageMeta,
  ): Promise<ImageVolumeCacheEntry> {
    const entry = await imageVolumeCacheCreate(this.deps.dbh.db, {
      host: volume.host ?? '',
      cluster_name: volume.cluster_name,
      image_id: imageId,
      image_updated_at: imageUpdatedAt(meta),
      volume_id: volume.id,
      size: volume.size,
    });
    this.deps.log.info({ entry }, 'New image-volume cache entry created');
    return entry;
  }

  /**
   * `ensure_space`: makes room for an entry of `volume.size` GiB on the volume's backend by
   * deleting the least recently used entries; false when it cannot fit (bigger than the whole
   * cache). Unlimited caches always have room.
   */
  async ensureSpace(ctx: RequestContext, volume: VolumeRecord): Promise<boolean> {
    const { maxSizeGb, maxCount } = this.limits;
    if (maxSizeGb === 0 && maxCount === 0) return true;
    if (maxSizeGb !== 0 && volume.size > maxSizeGb) return false;
    const entries = await imageVolumeCacheGetAll(this.deps.dbh.db, ImageVolumeCache.scopeOf(volume));
    let size = entries.reduce((sum, e) => sum + e.size, 0) + volume.size;
    let count = entries.length + 1;
    while (((maxSizeGb > 0 && size > maxSizeGb) || (maxCount > 0 && count > maxCount)) && entries.length) {
      const entry = entries.pop()!;
      this.deps.log.info({ entry }, 'Reclaiming image-volume cache space; removing cache entry');
      await this.#deleteImageVolume(ctx, entry);
      size -= entry.size;
      count--;
    }
    if (maxSizeGb > 0 && size > maxSizeGb) {
      this.deps.log.warn({ host: volume.host }, 'Image-volume cache does not have enough space (GB)');
      return false;
    }
    return true;
  }

  /**
   * `_delete_image_volume`: deletes the entry's volume through the volume API (whose delete evicts
   * the entry). NOTE: where Cinder fails the create, Kindling evicts an entry whose volume is gone
   * or cannot be deleted now (logged), so a broken entry is never used again.
   */
  async #deleteImageVolume(ctx: RequestContext, entry: ImageVolumeCacheEntry): Promise<void> {
    const volume = await volumeGet(this.deps.dbh.db, entry.volume_id);
    try {
      if (!volume) throw new InvalidVolume(`cache volume ${entry.volume_id} no longer exists`);
      await this.ops.apiDelete(ctx, volume);
    } catch (e) {
      this.deps.log.warn(
        { err: e, entry },
        'Could not delete the volume of an image-volume cache entry; the entry is evicted',
      );
    }
    // The API's delete evicted it; when it did not get that far, evict here.
    if (await this.getByImageVolume(entry.volume_id)) await this.evict(ctx, entry);
  }

  /**
   * The manager's `_create_image_cache_volume_entry`: `volume` holds the image's data (just
   * downloaded); unless an entry exists already, make room, clone the volume into a new volume of
   * the internal tenant and record it. Any failure only means no entry (logged); a cache volume
   * made before the failure is deleted.
   */
  async createImageCacheVolumeEntry(
    ctx: RequestContext,
    volume: VolumeRecord,
    imageId: string,
    meta: ImageMeta,
  ): Promise<void> {
    if (await this.getEntry(ctx, volume, imageId, meta)) {
      this.deps.log.debug({ image_id: imageId }, 'Cache entry already exists with image ID');
      return;
    }
    let imageVolume: VolumeRecord | null = null;
    try {
      if (!(await this.ensureSpace(ctx, volume))) {
        this.deps.log.warn(
          { image_id: imageId, host: volume.host },
          'Unable to ensure space for image-volume in cache. Will skip creating entry for image',
        );
        return;
      }
      imageVolume = await this.#cloneImageVolume(ctx, volume, imageId);
      if (!imageVolume) {
        this.deps.log.warn({ image_id: imageId }, 'Unable to clone image_volume for image: no cache entry');
        return;
      }
      await this.createCacheEntry(ctx, imageVolume, imageId, meta);
    } catch (e) {
      this.deps.log.warn({ err: e, image_id: imageId }, 'Failed to create new image-volume cache entry');
      if (imageVolume) await this.#deleteFailed(ctx, imageVolume.id);
    }
  }

  /**
   * The manager's `_clone_image_volume`: a new volume `image-<image id>` of the internal tenant
   * (quota reserved and committed for that project), a clone of `volume` on its backend, made by
   * the manager's create flow, then marked `readonly`. Null when it could not be made (the quota
   * is over, the clone failed): whatever was made is deleted.
   * NOTE: as Cinder's, the row copies the source's user, type, host, zone, size and flags, with
   * `source_volid` the source and the internal tenant's project.
   */
  async #cloneImageVolume(
    ctx: RequestContext,
    volume: VolumeRecord,
    imageId: string,
  ): Promise<VolumeRecord | null> {
    const deps = this.deps;
    const projectId = ctx.projectId!;
    const reservations = await deps.quotas.reserve(
      projectId,
      volumeDeltas(volume.size, volume.volume_type_name),
      {
        perVolumeGigabytes: volume.size,
      },
    );
    const id = newUuid();
    try {
      await withDeadlockRetry(() =>
        deps.dbh.db.transaction().execute((trx) =>
          volumeCreate(trx, {
            id,
            created_at: isoNow(),
            user_id: volume.user_id,
            project_id: projectId,
            host: volume.host,
            cluster_name: volume.cluster_name,
            size: volume.size,
            availability_zone: volume.availability_zone,
            status: 'creating',
            attach_status: 'detached',
            migration_status: null,
            previous_status: null,
            scheduled_at: isoNow(),
            launched_at: null,
            terminated_at: null,
            display_name: `image-${imageId}`,
            display_description: volume.display_description,
            provider_location: null,
            provider_auth: null,
            provider_id: null,
            snapshot_id: null,
            source_volid: volume.id,
            backup_id: null,
            volume_type_id: volume.volume_type_id,
            encryption_key_id: volume.encryption_key_id,
            consistencygroup_id: null,
            group_id: null,
            bootable: volume.bootable,
            multiattach: volume.multiattach,
            replication_status: volume.replication_status,
            service_uuid: null,
            shared_targets: volume.shared_targets,
            use_quota: 1,
            admin_metadata: pendingQuotaMetadata(reservations),
          }),
        ),
      );
    } catch (e) {
      deps.log.error({ err: e, volume_id: volume.id, image_id: imageId }, 'Create clone_image_volume failed');
      await deps.quotas.rollback(reservations);
      return null;
    }
    await commitVolumeQuota(deps, id);
    try {
      await this.ops.createVolume(ctx, id);
      const made = await volumeGet(deps.dbh.db, id);
      if (made?.status !== 'available') throw new InvalidVolume('Volume is not available.');
      await metadataUpdate(deps.dbh.db, 'volume_admin_metadata', id, { readonly: 'True' }, false);
      return made;
    } catch (e) {
      deps.log.error({ err: e, volume_id: volume.id, image_id: imageId }, 'Failed to clone volume for image');
      await this.#deleteFailed(ctx, id);
      return null;
    }
  }

  /** The manager's delete_volume of a cache volume that did not work out. */
  async #deleteFailed(ctx: RequestContext, id: string): Promise<void> {
    try {
      if (await discardVolumeIfQuotaPending(this.deps, id)) return;
      await volumeUpdate(this.deps.dbh.db, id, { status: 'deleting' });
      await this.ops.deleteVolume(ctx, id);
    } catch (e) {
      this.deps.log.error({ err: e, volume_id: id }, 'Could not delete the image volume');
    }
  }
}
