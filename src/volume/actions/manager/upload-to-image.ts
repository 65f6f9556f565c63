/**
 * `copy_volume_to_image` on the volume's backend (Cinder's manager `copy_volume_to_image`, the
 * driver's `copy_volume_to_image` and `image_utils.upload_volume`): the driver says where the
 * volume's bytes are (the device it hands to backups: the file driver's volume file, the RBD
 * driver's `rbd export … -`); they go to Glance as they are for a `raw`/`bare` image, else
 * `qemu-img convert` makes the requested `disk_format` in `image_conversion_dir` first (qcow2
 * compressed when `image_compress_on_upload`; a `compressed` container is then gzipped).
 *
 * | outcome | volume | image | user message |
 * |---|---|---|---|
 * | uploaded | back to `in-use` when attached, else `available` | `active` | — |
 * | any failure | the same | deleted while `queued`/`saving` | `copy volume to image:Failed to upload volume to image at backend.` |
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { RequestContext } from '../../../common/context.js';
import {
  DriverNotInitialized,
  GlanceConnectionFailed,
  ImageConversionNotAllowed,
  ImageUnacceptable,
  VolumeBackendAPIException,
} from '../../../common/errors.js';
import { volumeConditionalUpdate, volumeGet, type VolumeRecord } from '../../../db/api/volumes.js';
import { volumeTypeGet } from '../../../db/api/volume-types.js';
import type { GlanceImageService, UploadOptions } from '../../../image/index.js';
import { qemuFormatOf } from '../../../image/image-utils.js';
import { qemuImgConvert, qemuImgInfo } from '../../../image/qemu-img.js';
import { openDeviceReader } from '../../device-io.js';
import { Action, Detail, Resource } from '../../../message/message-field.js';
import { GiB, type BackupDevice } from '../../driver.js';
import { toDriverVolume } from '../../driver-volume.js';
import type { CopyVolumeToImageArgs } from '../../rpcapi.js';
import { actionLog, type ActionBackend } from './backend.js';

/** Formats qemu-img compresses when asked (Cinder's `COMPRESSIBLE_IMAGE_FORMATS`). */
const COMPRESSIBLE_FORMATS = ['qcow2'];

export async function copyVolumeToImageOnBackend(
  b: ActionBackend,
  images: GlanceImageService | null,
  ctx: RequestContext,
  a: CopyVolumeToImageArgs,
): Promise<void> {
  const db = b.deps.dbh.db;
  const log = actionLog(b, ctx, a.volume_id).child({ image_id: a.image_meta.id });
  const v = await volumeGet(db, a.volume_id);
  if (!v || v.status !== 'uploading' || !(await b.takeIfOurs(v))) {
    // NOTE: a redelivery after the work was done, or a volume reset meanwhile.
    log.info({ status: v?.status }, 'copy_volume_to_image: nothing to do');
    return;
  }
  try {
    if (!b.initialized()) throw new DriverNotInitialized();
    if (!images) throw new GlanceConnectionFailed('no image service is configured (glance_api_servers)');
    await uploadVolume(b, images, ctx, v, a.image_meta);
    log.info('Copy volume to image completed successfully.');
  } catch (e) {
    log.error({ err: e }, 'Upload volume to image encountered an error.');
    await b.deps.messages.create(ctx, Action.COPY_VOLUME_TO_IMAGE, {
      resourceType: Resource.VOLUME,
      resourceUuid: v.id,
      projectId: v.project_id,
      error: e,
      detail: Detail.FAILED_TO_UPLOAD_VOLUME,
    });
    if (images) await deleteUnfinishedImage(images, ctx, a.image_meta.id, log);
  } finally {
    // `volume_update_status_based_on_attachment`.
    const now = await volumeGet(db, v.id);
    const status = now && now.volume_attachment.length > 0 ? 'in-use' : 'available';
    await volumeConditionalUpdate(db, v.id, { status }, { status: ['uploading'] });
  }
}

/** Cinder's `_delete_image`: an image still `queued` or `saving` goes; errors are only logged. */
async function deleteUnfinishedImage(
  images: GlanceImageService,
  ctx: RequestContext,
  imageId: string,
  log: ReturnType<typeof actionLog>,
): Promise<void> {
  try {
    const image = await images.show(ctx, imageId);
    if (image.status === 'queued' || image.status === 'saving') {
      log.warn({ image_status: image.status }, 'Deleting image in unexpected status.');
      await images.delete(ctx, imageId);
    }
  } catch (e) {
    log.warn({ err: e }, 'Image delete encountered an error.');
  }
}

/** `image_utils.upload_volume`: the volume's raw bytes, converted when asked, into the image. */
async function uploadVolume(
  b: ActionBackend,
  images: GlanceImageService,
  ctx: RequestContext,
  v: VolumeRecord,
  image: CopyVolumeToImageArgs['image_meta'],
): Promise<void> {
  const cfg = b.deps.config.DEFAULT;
  const imageId = image.id;
  const diskFormat = image.disk_format ?? 'raw';
  const container = image.container_format;
  if (cfg.image_conversion_disable && diskFormat !== 'raw')
    throw new ImageConversionNotAllowed(
      imageId,
      `Image conversion is disabled. The image disk_format you have requested is '${diskFormat}', but your volume can only be uploaded in the format 'raw'.`,
    );
  const specs = (await volumeTypeGet(b.deps.dbh.db, v.volume_type_id, true))?.extra_specs ?? {};
  const opts: UploadOptions = {
    ...(specs['image_service:store_id'] && { storeId: specs['image_service:store_id'] }),
    ...(v.glance_metadata?.image_id && { baseImageRef: v.glance_metadata.image_id }),
  };
  const dv = toDriverVolume(v, specs);
  if (!b.driver.openVolumeForBackup)
    throw new VolumeBackendAPIException(`the ${b.driver.constructor.name} driver cannot read its volumes`);
  const device = await b.driver.openVolumeForBackup(dv);
  const bytes = v.size * GiB;
  try {
    if (container !== 'compressed' && diskFormat === 'raw') {
      // The volume's bytes as they are, streamed.
      const reader = await openDeviceReader(device, bytes);
      try {
        const size = device.type === 'path' ? Math.min((await stat(device.path)).size, bytes) : undefined;
        await images.upload(ctx, imageId, Readable.from(reader.chunks()), {
          ...opts,
          ...(size !== undefined && { size }),
        });
      } finally {
        await reader.close();
      }
      return;
    }
    await mkdir(cfg.image_conversion_dir, { recursive: true });
    const tmp = join(cfg.image_conversion_dir, `vol_upload_${randomUUID()}`);
    const temporaries = [tmp];
    try {
      let source: string;
      if (device.type === 'path') source = device.path;
      else {
        // NOTE: qemu-img needs a file it can seek in: a command's output is kept, sparse, first.
        source = `${tmp}.raw`;
        temporaries.push(source);
        await copyToSparseFile(device, bytes, source);
      }
      const out = qemuFormatOf(diskFormat);
      // NOTE: read as raw, always: Cinder lets qemu-img probe the volume's format, so a guest that
      // wrote an image header into its disk would have that header interpreted; here the volume's
      // bytes are the image's content, whatever they look like.
      await qemuImgConvert(source, 'raw', tmp, out, {
        compress: cfg.image_compress_on_upload && COMPRESSIBLE_FORMATS.includes(out),
      });
      const made = await qemuImgInfo(tmp, null);
      if (made.format !== out)
        throw new ImageUnacceptable(imageId, `Converted to ${out}, but format is now ${made.format}`);
      let file = tmp;
      if (container === 'compressed') {
        // Cinder's gzip accelerator (`gzip -k`).
        file = `${tmp}.gz`;
        temporaries.push(file);
        await pipeline(createReadStream(tmp), createGzip(), createWriteStream(file, { mode: 0o600 }));
      }
      await images.upload(ctx, imageId, createReadStream(file), { ...opts, size: (await stat(file)).size });
    } finally {
      for (const t of temporaries) await rm(t, { force: true });
    }
  } finally {
    await b.driver.closeBackupDevice?.(dv, device).catch(() => undefined);
  }
}

/** A device's first `bytes` bytes into a new sparse file: runs of zeros are left as holes. */
async function copyToSparseFile(device: BackupDevice, bytes: number, path: string): Promise<void> {
  const reader = await openDeviceReader(device, bytes);
  const fh = await open(path, 'wx', 0o600);
  let zeros = Buffer.alloc(0);
  try {
    let offset = 0;
    for await (const chunk of reader.chunks()) {
      if (zeros.length < chunk.length) zeros = Buffer.alloc(chunk.length);
      if (!chunk.equals(zeros.subarray(0, chunk.length))) await fh.write(chunk, 0, chunk.length, offset);
      offset += chunk.length;
    }
    await fh.truncate(offset);
  } finally {
    await fh.close();
    await reader.close();
  }
}
