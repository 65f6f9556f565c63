/**
 * What a create from an image needs of its volume service: shared by the download
 * (create-from-image.ts) and the ways without one (create-from-image-cache.ts).
 */
import type { CoreDeps } from '../../../common/deps.js';
import type { GlanceImageService } from '../../../image/index.js';
import type { ImageConversionOptions } from '../../../image/image-utils.js';
import type { VolumeDriver } from '../../driver.js';
import type { ImageVolumeCache } from '../../image-cache.js';

/** What the image path needs of its volume service. */
export interface ImageCreateContext {
  readonly deps: CoreDeps;
  readonly driver: VolumeDriver;
  /** The image service; null when none is configured (an image create then fails). */
  readonly images: GlanceImageService | null;
  readonly imageOptions: ImageConversionOptions;
  /** The backend's image-volume cache (src/volume/image-cache.ts); null or absent: none. */
  readonly imageCache?: ImageVolumeCache | null;
}
