/**
 * Cinder's `image_utils` for volumes made from images: the checks on an image's metadata before a
 * create, and the safe path from Glance to a volume's bytes — download to `image_conversion_dir`
 * (checksum verified), check what the data really is (the declared format, no backing file, no
 * qcow2 data file, an allowed VMDK type), then `qemu-img convert` it into the volume.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { countingProgress, whileLogging, type ProgressLog } from '../common/progress-log.js';
import type { RequestContext } from '../common/context.js';
import { ImageConversionNotAllowed, ImageTooBig, ImageUnacceptable, InvalidInput } from '../common/errors.js';
import type { GlanceImageService } from './glance.js';
import type { ImageMeta } from './image-record.js';
import { qemuImgConvert, qemuImgInfo, type QemuImgInfo, type QemuImgLimits } from './qemu-img.js';

const GiB = 1024 ** 3;

/** Glance disk formats as qemu-img names them (Cinder's `QEMU_IMG_FORMAT_MAP`). */
const QEMU_FORMAT: Readonly<Record<string, string>> = { iso: 'raw', vhd: 'vpc', ploop: 'parallels' };

/** qemu-img's name for a Glance `disk_format` (`fixup_disk_format`). */
export function qemuFormatOf(diskFormat: string): string {
  return Object.hasOwn(QEMU_FORMAT, diskFormat) ? QEMU_FORMAT[diskFormat]! : diskFormat;
}

/** The image options a volume service reads (Cinder's names and defaults). */
export interface ImageConversionOptions {
  /** `image_conversion_dir` (`$state_path/conversion`). */
  readonly image_conversion_dir: string;
  /** `image_conversion_cpu_limit`: CPU seconds of `qemu-img info`. */
  readonly image_conversion_cpu_limit: number;
  /** `image_conversion_address_space_limit`: GiB of address space of `qemu-img info`. */
  readonly image_conversion_address_space_limit: number;
  /** `image_conversion_disable`: only images already in the volume's format (raw) are taken. */
  readonly image_conversion_disable: boolean;
  /** `vmdk_allowed_types`. */
  readonly vmdk_allowed_types: readonly string[];
  /** Where downloads and conversions log their progress (none when absent). */
  readonly progress?: ProgressLog;
}

/** The image's id and declared disk format (ImageMeta's index signature types them unknown). */
function imageIdOf(meta: ImageMeta): string {
  return String(meta.id);
}
function diskFormatOf(meta: ImageMeta): string | null {
  return typeof meta.disk_format === 'string' ? meta.disk_format : null;
}

/** Whole GiB an image of `bytes` needs (rounded up). */
function gib(bytes: number): number {
  return Math.ceil(bytes / GiB);
}

/**
 * `check_image_metadata` (volume create, API side): the image is `active`, fits the volume (its
 * size and virtual size), and the volume meets its `min_disk`. Each failure is a 400.
 */
export function checkImageMetadata(meta: ImageMeta, volumeSize: number): void {
  if (meta.status !== 'active') throw new InvalidInput(`Image ${imageIdOf(meta)} is not active.`);
  const sizeGiB = gib(Number(meta.size ?? 0));
  if (sizeGiB > volumeSize)
    throw new InvalidInput(
      `Size of specified image ${sizeGiB}GB is larger than volume size ${volumeSize}GB.`,
    );
  const minDisk = Number(meta.min_disk ?? 0);
  if (volumeSize < minDisk)
    throw new InvalidInput(
      `Volume size ${volumeSize}GB cannot be smaller than the image minDisk size ${minDisk}GB.`,
    );
  if (meta.virtual_size) checkVirtualSize(Number(meta.virtual_size), volumeSize, imageIdOf(meta));
}

/** `check_virtual_size`: the image's virtual size (bytes) fits a volume of `volumeSize` GiB. */
export function checkVirtualSize(virtualBytes: number, volumeSize: number, imageId: string): number {
  const v = gib(virtualBytes);
  if (v > volumeSize)
    throw new ImageUnacceptable(
      imageId,
      `Image virtual size is ${v}GB and doesn't fit in a volume of size ${volumeSize}GB.`,
    );
  return v;
}

/**
 * `check_image_format` and its qcow2/VMDK rules on downloaded data: what qemu-img finds must be
 * what Glance declared; no backing file (the data must not point at other files of the host), no
 * qcow2 data file, a VMDK only of an allowed create type.
 */
export async function checkImageData(
  path: string,
  meta: ImageMeta,
  o: ImageConversionOptions,
): Promise<QemuImgInfo> {
  const limits: QemuImgLimits = {
    cpuSeconds: o.image_conversion_cpu_limit,
    addressSpaceGiB: o.image_conversion_address_space_limit,
  };
  const diskFormat = diskFormatOf(meta);
  const declared = diskFormat ? qemuFormatOf(diskFormat) : null;
  let probed: QemuImgInfo;
  try {
    probed = await qemuImgInfo(path, null, limits);
  } catch (e) {
    throw new ImageUnacceptable(
      imageIdOf(meta),
      `'qemu-img info' parsing failed. ${e instanceof Error ? e.message : ''}`,
    );
  }
  if (declared && declared !== probed.format && diskFormatOf(meta) !== 'ami')
    throw new ImageUnacceptable(
      imageIdOf(meta),
      `The image format was claimed to be '${declared}' but the image data appears to be in a different format.`,
    );
  if (probed['backing-filename'])
    throw new ImageUnacceptable(
      imageIdOf(meta),
      `fmt=${probed.format} backed by:${probed['backing-filename']}`,
    );
  const specific = probed['format-specific']?.data ?? {};
  if (probed.format === 'qcow2' && specific['data-file'])
    throw new ImageUnacceptable(imageIdOf(meta), 'A qcow2 format image is not allowed to have a data file');
  if (probed.format === 'vmdk') {
    const createType = specific['create-type'];
    if (typeof createType !== 'string')
      throw new ImageUnacceptable(imageIdOf(meta), 'Unable to determine VMDK createType');
    if (!o.vmdk_allowed_types.includes(createType))
      throw new ImageUnacceptable(imageIdOf(meta), 'Invalid VMDK create-type specified');
  }
  if (o.image_conversion_disable && probed.format !== 'raw')
    throw new ImageConversionNotAllowed(
      imageIdOf(meta),
      `Image conversion is disabled. The volume type you have requested requires that the image it is being created from be in 'raw' format, but the image you are using has the disk_format property '${diskFormatOf(meta) ?? probed.format}'.`,
    );
  return probed;
}

/**
 * An image downloaded to `image_conversion_dir` and checked, for the time of `use`; the file is
 * removed afterwards, whatever happens. Refuses up front when the directory has no room for it.
 */
export async function withFetchedImage<T>(
  images: GlanceImageService,
  ctx: RequestContext,
  meta: ImageMeta,
  o: ImageConversionOptions,
  use: (path: string, info: QemuImgInfo) => Promise<T>,
): Promise<T> {
  await mkdir(o.image_conversion_dir, { recursive: true });
  const fs = await statfs(o.image_conversion_dir);
  const free = fs.bavail * fs.bsize;
  const size = Number(meta.size ?? 0);
  if (size > free)
    throw new ImageTooBig(
      imageIdOf(meta),
      `There is no space on ${o.image_conversion_dir} to convert image. Requested: ${size}, available: ${free}`,
    );
  const path = join(o.image_conversion_dir, `tmp-${imageIdOf(meta)}-${randomUUID()}`);
  try {
    const id = imageIdOf(meta);
    const download = await images.download(ctx, id);
    // NOTE: the stream fails at its end when the bytes do not match the image's digest.
    await pipeline(
      download.stream,
      countingProgress(o.progress, `Downloading image ${id}`, size || null, { image_id: id }),
      createWriteStream(path, { mode: 0o600 }),
    );
    const info = await checkImageData(path, meta, o);
    return await whileLogging(
      o.progress,
      `Writing image ${id} (${info.format}) into the volume`,
      use(path, info),
      {
        fields: { image_id: id, format: info.format, virtual_size: info['virtual-size'] },
      },
    );
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * Converts a checked image file into `dst` (a volume file, or an `rbd:` spec qemu-img opens) as
 * raw, writing only what is not zero (the new volume reads as zeros).
 */
export async function convertToRawVolume(src: string, info: QemuImgInfo, dst: string): Promise<void> {
  await qemuImgConvert(src, info.format, dst, 'raw', { existing: true, targetIsZero: true });
}
