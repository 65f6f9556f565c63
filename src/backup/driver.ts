/**
 * The backup driver contract (Cinder's `backup/driver.py` BackupDriver, in our words): store a
 * volume's bytes read from a device, write them back, delete them, and describe where they are
 * for an export. One instance serves one backup service.
 */
import type { BackupsTable } from '../db/schema.js';
import type { DeviceReader, DeviceWriter } from '../volume/device-io.js';

/** What a driver sees of a backup row. */
export type DriverBackup = Pick<
  BackupsTable,
  | 'id'
  | 'volume_id'
  | 'display_name'
  | 'display_description'
  | 'created_at'
  | 'container'
  | 'service_metadata'
  | 'parent_id'
  | 'size'
>;

/** Columns a finished backup sets on its row. */
export interface BackupModelUpdate {
  container: string;
  service_metadata: string;
  object_count: number;
}

export interface BackupRunOptions {
  /** The volume's size in bytes: what is read at most. */
  volumeSizeBytes: number;
  /** The parent of an incremental backup (its objects are what changed since). */
  parent: DriverBackup | null;
  /** The volume's row and metadata as a JSON container (volume-meta.ts), kept with the backup. */
  volumeMeta: string | null;
  /** Where the objects will go, known before any is written: saved so a delete finds them. */
  onPrepared(update: { container: string; service_metadata: string }): Promise<void>;
  /** True once the backup was deleted or force-deleted meanwhile: the run stops and cleans up. */
  isCanceled(): Promise<boolean>;
  /**
   * Told after each read of the volume: `bytesRead` so far, `objects` written (closed) so far.
   * Synchronous and cheap (src/backup/progress.ts decides what to report).
   */
  onProgress?(p: { bytesRead: number; objects: number }): void;
}

export interface RestoreRunOptions {
  /** The target volume's size in bytes. */
  targetBytes: number;
  /** True once the restore should stop (the backup's status changed): `BackupRestoreCancel`. */
  isCanceled(): Promise<boolean>;
  /**
   * Told once the work is known (`totalBytes`: the bytes of every object of the chain) and after
   * each object is written: `bytes` and `objects` restored so far.
   */
  onProgress?(p: { bytes: number; objects: number; totalBytes: number; totalObjects: number }): void;
}

export interface BackupDriver {
  /** The class name recorded in the backup rows' `service` (Cinder's `backup_driver`). */
  readonly name: string;
  /** Whether a backup may be force-deleted while it is being made. */
  readonly supportForceDelete: boolean;
  /** Throws when the store is unusable; the service then reports itself not working. */
  checkForSetupError(): Promise<void>;
  /** Stores the device's content; null when the run was canceled (its objects are removed). */
  backup(
    backup: DriverBackup,
    reader: DeviceReader,
    opts: BackupRunOptions,
  ): Promise<BackupModelUpdate | null>;
  /**
   * Writes `chain` (the full backup first, then each incremental on top) into the device.
   * Returns the volume metadata kept with the newest layer that has some, to put on the volume.
   */
  restore(
    chain: readonly DriverBackup[],
    writer: DeviceWriter,
    opts: RestoreRunOptions,
  ): Promise<string | null>;
  /** Removes a backup's objects; missing ones are fine. */
  deleteBackup(backup: DriverBackup): Promise<void>;
  /** Driver-specific part of an export record (`driver_info`). */
  exportRecord(backup: DriverBackup): Record<string, unknown>;
  /** Checks an imported record's data is reachable. */
  importRecord(backup: DriverBackup, driverInfo: Record<string, unknown>): Promise<void>;
}
