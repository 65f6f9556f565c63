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
  /** `CHAP <user> <secret>` of an iSCSI export, or null. */
  readonly provider_auth?: string | null;
  /** Whether the volume has an encryption key (attach data says `encrypted`). */
  readonly encrypted?: boolean;
  readonly volume_type_extra_specs?: Readonly<Record<string, string>>;
}

/** What `initialize_connection` answers (Cinder's connection info): how a consumer reaches the volume. */
export interface ConnectionInfo {
  driver_volume_type: string;
  data: Record<string, unknown>;
}

/** The host about to connect (os-brick's connector properties: initiator, ip, host, multipath…). */
export type Connector = Record<string, unknown>;

/** Columns a driver may set on the volume row after an operation. */
export interface ModelUpdate {
  provider_location?: string | null;
  provider_auth?: string | null;
  provider_id?: string | null;
}

/** Where Glance keeps an image's data, as `cloneImage` gets it (Glance's `direct_url`, `locations`). */
export interface ImageLocationInfo {
  readonly directUrl: string | null;
  readonly locations: readonly { readonly url: string }[];
}

/** One pool's capabilities, as reported to the scheduler (an entry of `get_volume_stats`' `pools`). */
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

/** A driver-specific reference to a storage object (`{"source-name": …}`, `{"source-id": …}`). */
export type ExistingRef = Readonly<Record<string, unknown>>;

/** One entry of `get_manageable_volumes` (Cinder's shape; `reference` is what manage accepts). */
export interface ManageableVolume {
  reference: Record<string, unknown>;
  /** GiB, rounded up. */
  size: number | null;
  safe_to_manage: boolean;
  reason_not_safe: string | null;
  /** The Kindling volume that already is this object, if any. */
  cinder_id: string | null;
  extra_info: Record<string, unknown> | null;
}

/** One entry of `get_manageable_snapshots`: also where it comes from (`source_reference`). */
export interface ManageableSnapshot extends ManageableVolume {
  source_reference: Record<string, unknown> | null;
}

/** What `get_manageable_*` are told of the service's own resources. */
export interface ManagedResource {
  readonly id: string;
  /** `volume-<id>` / `snapshot-<id>`. */
  readonly name: string;
  /** For snapshots: the volume's id. */
  readonly volume_id?: string;
  /** GiB. */
  readonly size: number;
}

export interface VolumeDriver {
  /** Prepares the backend (directories, connections). Called once at service start. */
  doSetup(): Promise<void>;
  /** Releases what the driver started (a target daemon…) when its service stops. */
  stop?(): Promise<void>;
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
  // ---- images (src/image/image-utils.ts fetches and checks; the driver writes) ----
  /**
   * Cinder's `clone_image`: makes the new volume from the image's data where the backend can reach
   * it (RBD: a copy-on-write clone of the image in the same cluster) instead of a download, grown
   * to `volume.size`. `cloned: false` (nothing made) when it cannot; the volume is then made by
   * download. Never called for an encrypted volume.
   */
  cloneImage?(
    volume: DriverVolume,
    location: ImageLocationInfo,
    meta: Readonly<Record<string, unknown>>,
  ): Promise<{ update: ModelUpdate | null; cloned: boolean }>;
  /**
   * Cinder's `copy_image_to_volume`: writes a downloaded, checked image file (`format` as qemu-img
   * names it) into the new, empty volume as raw bytes.
   */
  copyImageToVolume?(volume: DriverVolume, image: { path: string; format: string }): Promise<void>;
  /**
   * Makes the whole volume read as zeros, keeping its size, its snapshots and any export (reimage:
   * the old content must be gone before copyImageToVolume writes the new image's data).
   */
  zeroVolume?(volume: DriverVolume): Promise<void>;
  // ---- attach (Cinder's export and connection calls; a driver without them cannot attach) ----
  /** Throws `InvalidConnector` when the connector lacks what the driver's protocol needs. */
  validateConnector?(connector: Connector): void;
  /** Makes the volume reachable (an iSCSI target…); may set provider_location/provider_auth. */
  createExport?(volume: DriverVolume, connector: Connector | null): Promise<ModelUpdate | null>;
  /** Puts an export back after a restart (service or target daemon); the volume is in use. */
  ensureExport?(volume: DriverVolume): Promise<void>;
  /** Removes the export; one that is not there is success. */
  removeExport?(volume: DriverVolume): Promise<void>;
  /**
   * Registers a callback for when exports were lost (the target daemon restarted): the volume
   * service then ensures the export of every attached volume again.
   */
  onExportsLost?(listener: () => void): void;
  /** Connection data for `connector` (the export exists). */
  initializeConnection?(volume: DriverVolume, connector: Connector): Promise<ConnectionInfo>;
  /** The backend is frozen by an admin (replication drivers stop management operations). */
  freezeBackend?(): Promise<void>;
  /** The freeze is lifted. */
  thawBackend?(): Promise<void>;
  /**
   * Ends `connector`'s connection; true when other attachments share the export (so it must stay),
   * false or nothing when the export may go.
   */
  terminateConnection?(
    volume: DriverVolume,
    connector: Connector | null,
    opts: { force: boolean; otherAttachments: number },
  ): Promise<boolean | void>;
  // ---- manage / unmanage (Cinder's manage_existing family; src/volume/manage-*.ts) ----
  // Manage adopts a storage object the service did not make: its size is read (GiB, rounded up),
  // then it is renamed to the volume's (snapshot's) own name. Bytes are never touched. A driver
  // without these answers `error_managing` / an empty manageable list.
  /** Size in GiB (rounded up) of the object `ref` names; `ManageExistingInvalidReference` if none. */
  manageExistingGetSize?(volume: DriverVolume, ref: ExistingRef): Promise<number>;
  /** Makes the object `ref` names the volume's backing object (renamed `volume-<id>`). */
  manageExisting?(volume: DriverVolume, ref: ExistingRef): Promise<ModelUpdate | null>;
  /** Kindling: undoes `manageExisting` after a later step failed (the object gets its name back). */
  revertManageExisting?(volume: DriverVolume, ref: ExistingRef): Promise<void>;
  /** Every object of the backend; `volumes`/`snapshots` are the service's own (not safe to manage). */
  getManageableVolumes?(
    volumes: readonly ManagedResource[],
    snapshots: readonly ManagedResource[],
  ): Promise<ManageableVolume[]>;
  /** Lets go of the volume: its backing object stays where and as it is. */
  unmanage?(volume: DriverVolume): Promise<void>;
  manageExistingSnapshotGetSize?(
    snapshot: { id: string; name: string; volume: DriverVolume },
    ref: ExistingRef,
  ): Promise<number>;
  manageExistingSnapshot?(
    snapshot: { id: string; name: string; volume: DriverVolume },
    ref: ExistingRef,
  ): Promise<ModelUpdate | null>;
  revertManageExistingSnapshot?(
    snapshot: { id: string; name: string; volume: DriverVolume },
    ref: ExistingRef,
  ): Promise<void>;
  getManageableSnapshots?(
    snapshots: readonly ManagedResource[],
    volumes: readonly ManagedResource[],
  ): Promise<ManageableSnapshot[]>;
  unmanageSnapshot?(snapshot: { id: string; name: string; volume: DriverVolume }): Promise<void>;
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
