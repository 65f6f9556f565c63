/**
 * The volume-service side of backups (Cinder's `get_backup_device` + `initialize_connection`,
 * simplified): the backup service asks the volume's backend where the volume's bytes are and the
 * driver answers with a {@link BackupDevice}, which the backup service opens in its own process.
 * Registered in the volume manager's RPC endpoint.
 */
import type { CoreDeps } from '../common/deps.js';
import { DriverNotInitialized, SnapshotNotFound, VolumeNotFound } from '../common/errors.js';
import { snapshotGet } from '../db/api/snapshots.js';
import { volumeGet } from '../db/api/volumes.js';
import type { RpcHandlers } from '../rpc/methods.js';
import type { VolumeDriver } from './driver.js';
import type { VolumeRpcMethods } from './rpcapi.js';
import { toDriverVolume } from './driver-volume.js';
import { toDriverSnapshot } from './snapshot-driver.js';

/** Raised when the backend's driver has no way to hand its data to the backup service. */
export class BackupNotSupportedByDriver extends Error {
  constructor(driver: string, what: string) {
    super(`The volume driver ${driver} does not support ${what}`);
    this.name = 'BackupNotSupportedByDriver';
  }
}

export function backupDeviceEndpoints(c: {
  deps: CoreDeps;
  driver: VolumeDriver;
  initialized: () => boolean;
}): RpcHandlers<VolumeRpcMethods, 'get_backup_device' | 'close_backup_device'> {
  const driverName = c.driver.constructor.name;
  const volumeOf = async (id: string) => {
    const v = await volumeGet(c.deps.dbh.db, id);
    if (!v) throw new VolumeNotFound(id);
    return v;
  };
  return {
    get_backup_device: async (_ctx, args) => {
      if (!c.initialized()) throw new DriverNotInitialized();
      const volume = toDriverVolume(await volumeOf(args.volume_id));
      if (args.snapshot_id) {
        const s = await snapshotGet(c.deps.dbh.db, args.snapshot_id);
        if (!s) throw new SnapshotNotFound(args.snapshot_id);
        if (!c.driver.openSnapshotForBackup)
          throw new BackupNotSupportedByDriver(driverName, 'snapshot backups');
        return c.driver.openSnapshotForBackup(toDriverSnapshot(s, volume));
      }
      if (args.mode === 'write') {
        if (!c.driver.openVolumeForRestore) throw new BackupNotSupportedByDriver(driverName, 'restores');
        return c.driver.openVolumeForRestore(volume);
      }
      if (!c.driver.openVolumeForBackup) throw new BackupNotSupportedByDriver(driverName, 'backups');
      return c.driver.openVolumeForBackup(volume);
    },
    close_backup_device: async (_ctx, a) => {
      if (!c.driver.closeBackupDevice) return;
      const volume = toDriverVolume(await volumeOf(a.volume_id));
      await c.driver.closeBackupDevice(volume, a.device);
    },
  };
}
