/**
 * The volume driver contract (Cinder's `interface/volume_driver.py`, in our words). One instance
 * serves one backend section of cinder.conf. Drivers import nothing above `volume/drivers/`.
 *
 * Idempotency: `createVolume` on an id whose backing object already exists with the right size
 * succeeds (a retried or resumed create repairs instead of failing); `deleteVolume` of a missing
 * object succeeds.
 */

/** What a driver sees of a volume: just enough to find and size its backing object. */
export interface DriverVolume {
  readonly id: string;
  /** Backing object name: `volume-<id>`. */
  readonly name: string;
  /** GiB. */
  readonly size: number;
  readonly host: string | null;
  readonly provider_location: string | null;
  readonly volume_type_extra_specs?: Readonly<Record<string, string>>;
}

/** Columns a driver may set on the volume row after an operation. */
export interface ModelUpdate {
  provider_location?: string | null;
  provider_auth?: string | null;
  provider_id?: string | null;
}

/** One pool's capabilities, as reported to the scheduler (backends.md §2). */
export interface PoolStats {
  pool_name: string;
  total_capacity_gb: number | 'infinite' | 'unknown';
  free_capacity_gb: number | 'infinite' | 'unknown';
  allocated_capacity_gb?: number;
  provisioned_capacity_gb?: number;
  reserved_percentage: number;
  thin_provisioning_support: boolean;
  thick_provisioning_support: boolean;
  max_over_subscription_ratio: number | string;
  QoS_support: boolean;
  multiattach: boolean;
  [capability: string]: unknown;
}

/** `get_volume_stats` result. */
export interface VolumeStats {
  volume_backend_name: string;
  vendor_name: string;
  driver_version: string;
  storage_protocol: string;
  pools: PoolStats[];
  [capability: string]: unknown;
}

/**
 * Where the backup service finds a volume's (or snapshot's) bytes: Cinder's backup device plus the
 * os-brick connection, reduced to two shapes. It crosses the bus as JSON, and the backup service
 * opens it in its own process, so both services must reach the storage the same way (same path
 * on a shared or local filesystem; the same cluster and credentials for a command).
 * - `path`: a file or block device the backup service opens itself (read; for restore, written in
 *   place at offsets). The file driver's volume files.
 * - `command`: a program run by the backup service. For a backup it writes the whole raw image to
 *   stdout (`rbd export <pool>/<image> -`); for a restore it reads the whole raw image from stdin
 *   and makes it the volume's content. Exit status 0 means success; stderr is the error text.
 */
export type BackupDevice =
  | { readonly type: 'path'; readonly path: string }
  | {
      readonly type: 'command';
      readonly argv: readonly string[];
      readonly env?: Readonly<Record<string, string>>;
    };

export interface VolumeDriver {
  /** Prepares the backend (directories, connections). Called once at service start. */
  doSetup(): Promise<void>;
  /** Throws if the backend is unusable; the service then reports the driver uninitialized. */
  checkForSetupError(): Promise<void>;
  /** Creates an empty volume of `volume.size` GiB. */
  createVolume(volume: DriverVolume): Promise<ModelUpdate | null>;
  /** Removes the volume's backing object; a missing one is success. */
  deleteVolume(volume: DriverVolume): Promise<void>;
  /** Grows the volume to `newSize` GiB. */
  extendVolume(volume: DriverVolume, newSize: number): Promise<void>;
  /** Capacity and capabilities; `refresh` re-reads the backend instead of a cached value. */
  getVolumeStats(refresh: boolean): Promise<VolumeStats>;
  /** Whether a backing object exists (used by cleanup after a crash). */
  volumeExists(volume: DriverVolume): Promise<boolean>;
  // Declared for the lifecycle and attach issues; not implemented yet by every driver.
  createSnapshot?(snapshot: { id: string; name: string; volume: DriverVolume }): Promise<ModelUpdate | null>;
  deleteSnapshot?(snapshot: { id: string; name: string; volume: DriverVolume }): Promise<void>;
  createVolumeFromSnapshot?(
    volume: DriverVolume,
    snapshot: { id: string; name: string; volume: DriverVolume },
  ): Promise<ModelUpdate | null>;
  createClonedVolume?(volume: DriverVolume, source: DriverVolume): Promise<ModelUpdate | null>;
  revertToSnapshot?(volume: DriverVolume, snapshot: { id: string; name: string }): Promise<void>;
  initializeConnection?(
    volume: DriverVolume,
    connector: Record<string, unknown>,
  ): Promise<{ driver_volume_type: string; data: Record<string, unknown> }>;
  /** The backend is frozen by an admin (replication drivers stop management operations). */
  freezeBackend?(): Promise<void>;
  /** The freeze is lifted. */
  thawBackend?(): Promise<void>;
  terminateConnection?(volume: DriverVolume, connector: Record<string, unknown> | null): Promise<void>;
  // ---- backups (optional; the volume service hands these out over RPC, src/backup/) ----
  // A driver without them cannot have its volumes backed up or restored: the backup ends in
  // `error` with the driver's name in `fail_reason`.
  /** Where to read the volume's whole raw content from, for a backup. */
  openVolumeForBackup?(volume: DriverVolume): Promise<BackupDevice>;
  /** Where to read a snapshot's raw content from (backup with `snapshot_id`). */
  openSnapshotForBackup?(snapshot: { id: string; name: string; volume: DriverVolume }): Promise<BackupDevice>;
  /** Where to write a restore into the volume (which exists, with at least the backup's size). */
  openVolumeForRestore?(volume: DriverVolume): Promise<BackupDevice>;
  /** The backup service is done with a device from the calls above (unmap, unlock); optional. */
  closeBackupDevice?(volume: DriverVolume, device: BackupDevice): Promise<void>;
}

/** Backing object name of a volume (`volume_name_template`). */
export function volumeName(id: string): string {
  return `volume-${id}`;
}

export const GiB = 1024 ** 3;
