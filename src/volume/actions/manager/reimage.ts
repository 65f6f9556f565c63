/**
 * `reimage` on the volume's backend (Cinder's manager `reimage`): the image is downloaded to
 * `image_conversion_dir` and checked exactly as for a create from it (create-from-image's
 * `withFetchedImage`: checksum, declared format, no backing or data file, virtual size), then the
 * driver makes the whole volume read as zeros (`zeroVolume`) and writes the image into it
 * (`copyImageToVolume`): nothing of the old content is left, beyond the image's data included.
 * The volume's image metadata is replaced by the new image's and the volume becomes bootable.
 *
 * | outcome | volume | user message |
 * |---|---|---|
 * | written | `reserved` when it was, else `available` | — |
 * | any failure | `error` (`previous_status` `downloading`) | `reimage volume:` with the error's detail |
 *
 * A volume that was `reserved` (Nova rebuilding a server from a volume) would have Nova told
 * (`volume-reimaged` external event); Kindling has no compute service and sends nothing.
 */
import type { RequestContext } from '../../../common/context.js';
import { DriverNotInitialized, ImageConversionNotAllowed, ImageNotFound } from '../../../common/errors.js';
import { volumeGlanceMetadataReplace } from '../../../db/api/glance-metadata.js';
import { volumeConditionalUpdate, volumeGet } from '../../../db/api/volumes.js';
import { volumeTypeGet } from '../../../db/api/volume-types.js';
import type { GlanceImageService, ImageMeta } from '../../../image/index.js';
import {
  checkVirtualSize,
  withFetchedImage,
  type ImageConversionOptions,
} from '../../../image/image-utils.js';
import { Action, Detail, Resource } from '../../../message/message-field.js';
import { VolumeBackendAPIException } from '../../../common/errors.js';
import { toDriverVolume } from '../../driver-volume.js';
import { volumeImageMetadata } from '../../flows/manager/create-from-image.js';
import type { ReimageArgs } from '../../rpcapi.js';
import { actionLog, type ActionBackend } from './backend.js';

export async function reimageOnBackend(
  b: ActionBackend,
  images: GlanceImageService | null,
  imageOptions: ImageConversionOptions,
  ctx: RequestContext,
  a: ReimageArgs,
): Promise<void> {
  const db = b.deps.dbh.db;
  const imageId = a.image_meta.id;
  const log = actionLog(b, ctx, a.volume_id).child({ image_id: imageId });
  const v = await volumeGet(db, a.volume_id);
  if (!v || v.status !== 'downloading' || !(await b.takeIfOurs(v))) {
    log.info({ status: v?.status }, 'reimage: nothing to do');
    return;
  }
  try {
    if (!b.initialized()) throw new DriverNotInitialized();
    if (!images) throw new ImageNotFound(imageId);
    const driver = b.driver;
    if (!driver.copyImageToVolume || !driver.zeroVolume)
      throw new VolumeBackendAPIException(`the ${driver.constructor.name} driver cannot reimage volumes`);
    const specs = (await volumeTypeGet(db, v.volume_type_id, true))?.extra_specs ?? {};
    const target = toDriverVolume(v, specs);
    const meta = a.image_meta as unknown as ImageMeta;
    await withFetchedImage(images, ctx, meta, imageOptions, async (path, info) => {
      checkVirtualSize(info['virtual-size'], v.size, imageId);
      // NOTE: only now, with the new image at hand and checked, is the old content dropped.
      await driver.zeroVolume!(target);
      await driver.copyImageToVolume!(target, { path, format: info.format });
    });
    // `_refresh_volume_glance_meta`: bootable, and the image metadata replaced.
    await volumeGlanceMetadataReplace(db, v.id, volumeImageMetadata(imageId, meta));
    // NOTE: Cinder puts back `previous_status` whatever it was, so a reimaged `error` volume stays
    // `error`; Kindling makes it `available`: its content is now the image's.
    const status = v.previous_status === 'reserved' ? 'reserved' : 'available';
    await volumeConditionalUpdate(db, v.id, { status, bootable: 1 }, { status: ['downloading'] });
    if (status === 'reserved') log.info('reimage: no compute service to send the volume-reimaged event to');
    log.info('Re-imaged the volume successfully.');
  } catch (e) {
    log.error({ err: e }, 'Failed to re-image volume.');
    await volumeConditionalUpdate(
      db,
      v.id,
      { status: 'error', previous_status: 'downloading' },
      { status: ['downloading'] },
    );
    // NOTE: Cinder leaves a message only for a refused conversion; Kindling for every failure.
    await b.deps.messages.create(ctx, Action.REIMAGE_VOLUME, {
      resourceType: Resource.VOLUME,
      resourceUuid: v.id,
      projectId: v.project_id,
      error: e,
      ...(e instanceof ImageConversionNotAllowed ? { detail: Detail.IMAGE_FORMAT_UNACCEPTABLE } : {}),
    });
  }
}
