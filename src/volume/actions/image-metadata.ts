/**
 * The image-metadata volume actions (Cinder's `VolumeImageMetadataController` with
 * `volume_api.get_volume_image_metadata` / `update_volume_metadata(meta_type=IMAGE)` /
 * `delete_volume_metadata(meta_type=IMAGE)`): database only, no image service involved.
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidVolume } from '../../common/errors.js';
import {
  GlanceMetadataNotFound,
  volumeGlanceMetadataDeleteKey,
  volumeGlanceMetadataGet,
  volumeGlanceMetadataUpdate,
} from '../../db/api/glance-metadata.js';
import type { VolumeRecord } from '../../db/api/volumes.js';
import type { ActionDeps } from './common.js';

/** Statuses in which a volume's metadata may not change (Cinder's `_update_volume_metadata`). */
const FROZEN = ['maintenance', 'uploading'];

/**
 * `os-show_image_metadata`: the volume's image metadata; 404 `Glance metadata for volume/snapshot
 * <id> cannot be found.` when it has none.
 */
export async function showImageMetadata(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
): Promise<Record<string, string>> {
  authorize(ctx, 'volume:get_volume_metadata', v.project_id);
  const meta = await volumeGlanceMetadataGet(d.core.dbh.db, v.id);
  if (Object.keys(meta).length === 0) throw new GlanceMetadataNotFound(v.id);
  return meta;
}

/**
 * `os-set_image_metadata`: merges `metadata` into the volume's image metadata (any status but
 * `maintenance` and `uploading`; keys are not protected) and answers all of it.
 */
export async function setImageMetadata(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  metadata: Record<string, string>,
): Promise<Record<string, string>> {
  authorize(ctx, 'volume_extension:volume_image_metadata:set', v.project_id);
  authorize(ctx, 'volume:update_volume_metadata', v.project_id);
  if (FROZEN.includes(v.status))
    throw new InvalidVolume(`Updating volume metadata is not allowed for volumes in ${v.status} status.`);
  return volumeGlanceMetadataUpdate(d.core.dbh.db, v.id, metadata);
}

/**
 * `os-unset_image_metadata`: removes one key; a key the volume does not have is a 404 (checked
 * before the status, as in Cinder).
 */
export async function unsetImageMetadata(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  key: string,
): Promise<void> {
  authorize(ctx, 'volume_extension:volume_image_metadata:remove', v.project_id);
  const meta = await showImageMetadata(d, ctx, v);
  if (!Object.hasOwn(meta, key)) throw new GlanceMetadataNotFound(v.id);
  authorize(ctx, 'volume:delete_volume_metadata', v.project_id);
  if (FROZEN.includes(v.status))
    throw new InvalidVolume(`Deleting volume metadata is not allowed for volumes in ${v.status} status.`);
  if (!(await volumeGlanceMetadataDeleteKey(d.core.dbh.db, v.id, key)))
    throw new GlanceMetadataNotFound(v.id);
}
