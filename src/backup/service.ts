import type { CoreDeps } from '../common/deps.js';
import type { ServiceStateFactory } from '../db/api/services.js';
import type { BackupDriver } from './driver.js';
import { PosixBackupDriver } from './drivers/posix.js';
import { BackupManager } from './manager.js';
import { backupOptions, POSIX_DRIVER, type BackupOptions } from './options.js';

/** Builds the driver `backup_driver` names (only posix exists). */
export function createBackupDriver(opts: BackupOptions): BackupDriver {
  if (opts.backup_driver === POSIX_DRIVER) return new PosixBackupDriver(opts);
  throw new Error(`unknown backup_driver ${opts.backup_driver}`);
}

/**
 * Starts the backup service of this host (`cinder-backup`): `kindling backup`, or inside `serve`.
 * `serviceState` registers its row and reports its state (src/service/service-record.ts).
 */
export async function startBackupService(
  core: CoreDeps,
  serviceState: ServiceStateFactory,
  opts = backupOptions(core.config),
): Promise<BackupManager> {
  const manager = new BackupManager(core, createBackupDriver(opts), opts);
  await manager.start(serviceState);
  return manager;
}
