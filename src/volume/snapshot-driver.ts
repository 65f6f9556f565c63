/**
 * How snapshots appear to drivers and to the coordinator: backing-object names and the lock names
 * that keep a snapshot or a volume from being deleted while something copies from it.
 */
import { operationLockName } from '../coordination/index.js';
import type { DriverVolume } from './driver.js';

/** What a driver is given for a snapshot: its id, backing name and volume. */
export interface DriverSnapshotRef {
  readonly id: string;
  readonly name: string;
  readonly volume: DriverVolume;
}

/** Backing object name of a snapshot (`snapshot_name_template`). */
export function snapshotName(id: string): string {
  return `snapshot-${id}`;
}

/** The driver's view of snapshot `id` of `volume`. */
export function toDriverSnapshot(s: { id: string }, volume: DriverVolume): DriverSnapshotRef {
  return { id: s.id, name: snapshotName(s.id), volume };
}

/** `<snapshot_id>-delete_snapshot`: held by a snapshot's delete and by a volume copied from it. */
export function snapshotDeleteLock(snapshotId: string): string {
  return operationLockName(snapshotId, 'delete_snapshot');
}

/** `<volume_id>-delete_volume`: held by a volume's delete and by a clone of it being made. */
export function volumeDeleteLock(volumeId: string): string {
  return operationLockName(volumeId, 'delete_volume');
}
