/**
 * The image service (Glance v2), Kindling's `cinder/image/glance.py`: options, the client with
 * Cinder's retries and error mapping, download verification, and `imageRef` resolution.
 */
export {
  GlanceImageService,
  getRemoteImageService,
  type DownloadOptions,
  type GlanceStore,
  type ImageDownload,
  type ListOptions,
  type UploadOptions,
} from './glance.js';
export { GlanceClient, type GlanceCall, type GlanceClientDeps, type GlanceLogger } from './glance-client.js';
export {
  DEFAULT_REQUEST_TIMEOUT_S,
  glanceOptions,
  glanceOptionsFromConfig,
  type GlanceOptions,
} from './glance-options.js';
export { apiServers, catalogServers, normalizeServer } from './api-servers.js';
export { DigestVerifier, digestOf, expectedDigest, nodeHashName, type ImageDigest } from './checksum.js';
export { errorDetails, imageError, plainError } from './glance-errors.js';
export {
  BASE_ATTRIBUTES,
  attributePath,
  propertyPatch,
  toGlanceBody,
  toImageMeta,
  type GlanceImage,
  type ImageCreateMeta,
  type ImageListFilters,
  type ImageLocation,
  type ImageMeta,
  type ImagePatchOp,
  type ImageStatus,
} from './image-record.js';
export { resolveImageRef, type ImageLookup } from './image-ref.js';
