import type { VolumeDriver } from '../driver.js';
import { resolveRbdOptions } from '../../config/rbd-options.js';
import { FileDriver } from './file-driver.js';
import { RbdDriver } from './rbd-driver.js';
import { debuglog } from 'node:util';
import { createTarget, resolveTargetOptions } from '../targets/index.js';

/** The backend section options a driver factory receives (already resolved by the config loader). */
export interface BackendSectionOptions {
  name: string;
  volume_driver: string;
  volume_backend_name: string;
  file_volume_dir: string;
  reserved_percentage: number;
  max_over_subscription_ratio: number | string;
  /** `[DEFAULT] state_path` (default places of per-backend state, e.g. `volumes_dir`; `./var`). */
  state_path?: string;
  extra: Record<string, string>;
}

/** Target lines go to `NODE_DEBUG=kindling-target`, tagged with the backend. */
function targetLog(backend: string) {
  const debug = debuglog('kindling-target');
  const line = (level: string) => (obj: object, msg: string) =>
    debug('%s %s %s %j', level, backend, msg, obj);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** Builds the driver named by `volume_driver`; unknown names fail at start-up, loudly. */
export function createDriver(section: BackendSectionOptions): VolumeDriver {
  switch (section.volume_driver) {
    case 'file':
    case 'kindling.volume.drivers.file.FileDriver':
      return new FileDriver({
        ...section,
        target: createTarget(
          resolveTargetOptions(section.name, section.extra, { state_path: section.state_path ?? './var' }),
          targetLog(section.name),
        ),
      });
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
