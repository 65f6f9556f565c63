import type { Config } from '../config/index.js';
import type { CoreDeps } from '../common/deps.js';
import type { VolumeDriver } from '../volume/driver.js';
import { createDriver, type BackendSectionOptions } from '../volume/drivers/index.js';
import { VolumeManager } from '../volume/manager.js';
import { restoreBackupIntoNewVolume } from '../backup/restore-new-volume.js';
import { serviceRecords } from './service-record.js';

/** Builds a backend's driver; tests pass their own to inject failures. */
export type DriverFactory = (section: BackendSectionOptions) => VolumeDriver;

/** Wraps the driver built for a backend (named by its `enabled_backends` section). */
export type DriverWrapper = (driver: VolumeDriver, backend: string) => VolumeDriver;

const driverWrappers: DriverWrapper[] = [];

/**
 * Adds a wrapper the volume services started afterwards in this process apply to their drivers,
 * in the order added: for code from outside Kindling (a tracer, or a test's fault injector loaded
 * with `node --import`). None by default.
 */
export function addDriverWrapper(wrapper: DriverWrapper): void {
  driverWrappers.push(wrapper);
}

/** The driver options of one `enabled_backends` section. */
export function backendSectionOptions(config: Config, name: string): BackendSectionOptions {
  const section = config.backends[name];
  if (!section)
    throw new Error(
      `Backend ${name} is not in enabled_backends (${Object.keys(config.backends).join(', ')})`,
    );
  return {
    name,
    volume_driver: section.volume_driver,
    volume_backend_name: section.volume_backend_name,
    file_volume_dir: section.file_volume_dir,
    reserved_percentage: section.reserved_percentage,
    max_over_subscription_ratio: section.max_over_subscription_ratio,
    state_path: config.DEFAULT.state_path,
    // Driver-specific options (rbd_*, …) set once in [backend_defaults] apply to every backend.
    extra: { ...(config.raw.backend_defaults ?? {}), ...section.extra },
  };
}

/**
 * Starts one volume service per named backend (all of `enabled_backends` by default), as
 * `cinder-volume` does: each gets its driver, its `host@backend` queue and its service row.
 */
export async function startVolumeServices(
  core: CoreDeps,
  names: readonly string[] = Object.keys(core.config.backends),
  driverFactory: DriverFactory = createDriver,
): Promise<VolumeManager[]> {
  const managers: VolumeManager[] = [];
  for (const name of names) {
    const s = backendSectionOptions(core.config, name);
    const m = new VolumeManager(
      core,
      name,
      s.volume_backend_name,
      driverWrappers.reduce((driver, wrap) => wrap(driver, name), driverFactory(s)),
      (ctx, backupId, volumeId) => restoreBackupIntoNewVolume(core, ctx, backupId, volumeId),
      core.config.backends[name]!.backend_availability_zone ?? core.config.DEFAULT.storage_availability_zone,
    );
    await m.start(serviceRecords(core));
    managers.push(m);
  }
  return managers;
}
