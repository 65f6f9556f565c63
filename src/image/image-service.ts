/**
 * The image service a Kindling process uses, from its configuration: Glance at
 * `glance_api_servers`, or (keystone mode) at the `image` endpoint of the caller's catalog. In
 * noauth mode without servers there is none: image requests then answer Cinder's errors for an
 * image it cannot find.
 */
import type { ProgressLogger } from '../common/progress-log.js';
import type { Config } from '../config/index.js';
import { GlanceImageService } from './glance.js';
import type { GlanceClientDeps } from './glance-client.js';
import type { ImageConversionOptions } from './image-utils.js';

export function imageServiceFromConfig(
  config: Pick<Config, 'DEFAULT'>,
  deps: GlanceClientDeps = {},
): GlanceImageService | null {
  const d = config.DEFAULT;
  if (d.glance_api_servers.length === 0 && d.auth_strategy !== 'keystone') return null;
  return GlanceImageService.fromConfig(config, deps);
}

/**
 * The `[DEFAULT]` options of image downloads and conversions; with `log`, downloads and
 * conversions log their progress every `progress_log_interval` seconds.
 */
export function imageConversionOptions(
  config: Pick<Config, 'DEFAULT'>,
  log?: ProgressLogger,
): ImageConversionOptions {
  const d = config.DEFAULT;
  return {
    ...(log ? { progress: { log, intervalSeconds: d.progress_log_interval } } : {}),
    image_conversion_dir: d.image_conversion_dir,
    image_conversion_cpu_limit: d.image_conversion_cpu_limit,
    image_conversion_address_space_limit: d.image_conversion_address_space_limit,
    image_conversion_disable: d.image_conversion_disable,
    vmdk_allowed_types: d.vmdk_allowed_types,
  };
}
