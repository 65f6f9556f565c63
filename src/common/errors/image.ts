/** Images: the image service (Glance, src/image/) and creating volumes from images. */
import { CinderError, Invalid, NotFound, QuotaError } from './base.js';

/** Cinder's `ImageNotFound`: Glance answered 404 (or the image is not visible to the caller). */
export class ImageNotFound extends NotFound {
  readonly imageId: string;
  constructor(imageId: string) {
    super(`Image ${imageId} could not be found.`);
    this.imageId = imageId;
  }
}

/** Cinder's `ImageNotAuthorized`: Glance answered 401 or 403 for an image. */
export class ImageNotAuthorized extends CinderError {
  override readonly safe: boolean = false;
  readonly imageId: string;
  constructor(imageId: string) {
    super(`Not authorized for image ${imageId}.`);
    this.imageId = imageId;
  }
}

/** Cinder's `GlanceConnectionFailed`: no Glance could be reached after `glance_num_retries` retries. */
export class GlanceConnectionFailed extends CinderError {
  override readonly safe: boolean = false;
  constructor(reason: string) {
    super(`Connection to glance failed: ${reason}`);
  }
}

/** Cinder's `ImageDownloadFailed`: the image's data could not be read whole. */
export class ImageDownloadFailed extends CinderError {
  override readonly safe: boolean = false;
  readonly imageHref: string;
  constructor(imageHref: string, reason: string) {
    super(`Failed to download image ${imageHref}, reason: ${reason}`);
    this.imageHref = imageHref;
  }
}

/**
 * The downloaded bytes do not have the digest Glance recorded (`os_hash_value`, else the md5
 * `checksum`): glanceclient's `Corrupt image download` IOError, which Cinder reports as
 * `ImageDownloadFailed`.
 */
export class ImageChecksumMismatch extends ImageDownloadFailed {
  readonly algorithm: string;
  readonly expected: string;
  readonly actual: string;
  constructor(imageHref: string, algorithm: string, expected: string, actual: string) {
    const what = algorithm === 'md5' ? 'Checksum' : 'Hash';
    super(imageHref, `IOError: 32 Corrupt image download. ${what} was ${actual} expected ${expected}`);
    this.algorithm = algorithm;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Cinder's `ImageLimitExceeded`: Glance answered 413 (image quota or size cap). */
export class ImageLimitExceeded extends QuotaError {
  constructor() {
    super('Image quota exceeded');
  }
}

/** Cinder's `InvalidImageRef`: an image href that does not parse. */
export class InvalidImageRef extends Invalid {
  constructor(imageHref: string) {
    super(`Invalid image href ${imageHref}.`);
  }
}

/**
 * Kindling: any other refusal of Glance (409 for data of an image that is not `queued`, 5xx, …),
 * glanceclient's `HTTPException` that Cinder lets through. `status` is Glance's answer, `details`
 * its message; the text is glanceclient's (`HTTP <details>`).
 */
export class GlanceRequestFailed extends CinderError {
  override readonly safe: boolean = false;
  readonly status: number;
  readonly details: string;
  constructor(status: number, details: string) {
    super(`HTTP ${details}`);
    this.status = status;
    this.details = details;
  }
}

/** `Image <id> is unacceptable: <reason>` (a format Kindling will not convert, a backing file, …). */
export class ImageUnacceptable extends Invalid {
  constructor(imageId: string, reason: string) {
    super(`Image ${imageId} is unacceptable: ${reason}`);
  }
}

/** `Image <id> size exceeded available disk space: <reason>`. */
export class ImageTooBig extends Invalid {
  constructor(imageId: string, reason: string) {
    super(`Image ${imageId} size exceeded available disk space: ${reason}`);
  }
}

/** `Image Conversion disallowed for image <id>: <reason>` (`image_conversion_disable`). */
export class ImageConversionNotAllowed extends CinderError {
  constructor(imageId: string, reason: string) {
    super(`Image Conversion disallowed for image ${imageId}: ${reason}`);
  }
}

/** `Failed to copy image to volume: <reason>`. */
export class ImageCopyFailure extends Invalid {
  constructor(reason: string) {
    super(`Failed to copy image to volume: ${reason}`);
  }
}

/** An upload asked for container_format `compressed` without `allow_compression_on_image_upload`. */
export class ImageCompressionNotAllowed extends CinderError {
  constructor() {
    super('Image compression upload disallowed, but container_format is compressed');
  }
}
