import type { Config } from '../config/index.js';
import type { CoreDeps } from '../common/deps.js';
import type { VolumeDriver } from '../volume/driver.js';
import { createDriver, type BackendSectionOptions } from '../volume/drivers/index.js';
import { withTestDriverFaults } from '../volume/drivers/test-faults.js';
import { VolumeManager } from '../volume/manager.js';

/** Builds a backend's driver; tests pass their own to inject failures. */
export type DriverFactory = (section: BackendSectionOptions) => VolumeDriver;

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
      // TEST-ONLY: `KINDLING_TEST_DRIVER_FAULTS` (see test-faults.ts) breaks drivers of a separate
      // volume process; unset (always, outside tests) the driver is returned as built.
      withTestDriverFaults(driverFactory(s), name),
      core.config.backends[name]!.backend_availability_zone ?? core.config.DEFAULT.storage_availability_zone,
    );
    await m.start();
    managers.push(m);
  }
  return managers;
}
