import type { VolumeDriver } from '../driver.js';
import { resolveRbdOptions } from '../../config/rbd-options.js';
import { FileDriver } from './file-driver.js';
import { RbdDriver } from './rbd-driver.js';

/** The backend section options a driver factory receives (already resolved by the config loader). */
export interface BackendSectionOptions {
  name: string;
  volume_driver: string;
  volume_backend_name: string;
  file_volume_dir: string;
  reserved_percentage: number;
  max_over_subscription_ratio: number | string;
  extra: Record<string, string>;
}

/** Builds the driver named by `volume_driver`; unknown names fail at start-up, loudly. */
export function createDriver(section: BackendSectionOptions): VolumeDriver {
  switch (section.volume_driver) {
    case 'file':
    case 'kindling.volume.drivers.file.FileDriver':
      return new FileDriver(section);
    case 'rbd':
    case 'cinder.volume.drivers.rbd.RBDDriver':
      return new RbdDriver({
        ...resolveRbdOptions(section.name, section.extra),
        volume_backend_name: section.volume_backend_name,
        reserved_percentage: section.reserved_percentage,
        max_over_subscription_ratio: section.max_over_subscription_ratio,
      });
    default:
      throw new Error(
        `Backend ${section.name}: unknown volume_driver '${section.volume_driver}' (known: file, rbd)`,
      );
  }
}
