/**
 * The `image` create type of the manager flow (Cinder's `CreateVolumeFromSpecTask._create_from_
 * image` and `_create_from_image_download`): the driver makes an empty volume, the volume shows
 * `downloading` while the image is fetched from Glance (checksum verified), checked (declared
 * format, no backing or data file) and converted into it with qemu-img; the volume becomes
 * bootable and keeps the image's metadata (`volume_glance_metadata`).
 * Every failure leaves a user message (`copy image to volume`, with the error's detail) before it
 * goes up to the flow, which errors or reschedules the volume.
 */
import type { RequestContext } from '../../../common/context.js';
import { ImageConversionNotAllowed, ImageCopyFailure } from '../../../common/errors.js';
import { volumeGlanceMetadataReplace } from '../../../db/api/glance-metadata.js';
import { volumeUpdate, type VolumeRecord } from '../../../db/api/volumes.js';
import type { ImageMeta } from '../../../image/index.js';
import { checkVirtualSize, withFetchedImage } from '../../../image/image-utils.js';
import { Action, Detail, Resource } from '../../../message/message-field.js';
import type { DriverVolume, ModelUpdate } from '../../driver.js';
import { createFromImageWithoutDownload } from './create-from-image-cache.js';
import type { ImageCreateContext } from './image-create-context.js';

/** Base image attributes a volume keeps (Cinder's `IMAGE_ATTRIBUTES`). */
const IMAGE_ATTRIBUTES = ['checksum', 'container_format', 'disk_format', 'min_disk', 'min_ram', 'size'];

/**
 * Cinder's `get_volume_image_metadata`: the image's properties, its id and name, and the base
 * attributes above, as the volume's image metadata.
 */
export function volumeImageMetadata(imageId: string, meta: ImageMeta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.properties ?? {}))
    if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  out.image_id = imageId;
  if (typeof meta.name === 'string' && meta.name) out.image_name = meta.name;
  for (const k of IMAGE_ATTRIBUTES) {
    const v = meta[k];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

export async function createFromImage(
  c: ImageCreateContext,
  ctx: RequestContext,
  volume: VolumeRecord,
  target: DriverVolume,
  imageId: string,
): Promise<{ update: ModelUpdate | null; bootable: boolean }> {
  const db = c.deps.dbh.db;
  try {
    const images = c.images;
    if (!images) throw new ImageCopyFailure('no image service (glance_api_servers) is configured');
    if (!c.driver.copyImageToVolume)
      throw new ImageCopyFailure(`the ${c.driver.constructor.name} driver cannot write images into volumes`);
    const meta = await images.showMeta(ctx, imageId);
    if (meta.virtual_size) checkVirtualSize(Number(meta.virtual_size), volume.size, imageId);
    // The driver's clone of the image, or the image-volume cache (create-from-image-cache.ts);
    // when neither applies, the download below.
    const fast = await createFromImageWithoutDownload(c, ctx, volume, target, imageId, meta);
    if (fast) {
      await volumeGlanceMetadataReplace(db, volume.id, volumeImageMetadata(imageId, meta));
      return { update: fast.update, bootable: true };
    }
    const update = await c.driver.createVolume(target);
    await volumeUpdate(db, volume.id, { ...(update ?? {}), status: 'downloading' });
    const made = { ...target, ...(update ?? {}) };
    await withFetchedImage(images, ctx, meta, c.imageOptions, async (path, info) => {
      checkVirtualSize(info['virtual-size'], volume.size, imageId);
      await c.driver.copyImageToVolume!(made, { path, format: info.format });
    });
    // `_handle_bootable_volume_glance_meta` (replaced, not added: a retried create finds its own).
    await volumeGlanceMetadataReplace(db, volume.id, volumeImageMetadata(imageId, meta));
    return { update, bootable: true };
  } catch (e) {
    await c.deps.messages.create(ctx, Action.COPY_IMAGE_TO_VOLUME, {
      resourceType: Resource.VOLUME,
      resourceUuid: volume.id,
      projectId: volume.project_id,
      error: e,
      ...(e instanceof ImageConversionNotAllowed ? { detail: Detail.IMAGE_FORMAT_UNACCEPTABLE } : {}),
    });
    throw e;
  }
}
