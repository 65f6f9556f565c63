/** Snapshots. */
import { CinderError, Invalid, NotFound } from './base.js';

export class InvalidSnapshot extends Invalid {
  constructor(reason: string) {
    super(`Invalid snapshot: ${reason}`);
  }
}

export class SnapshotNotFound extends NotFound {
  constructor(id: string) {
    super(`Snapshot ${id} could not be found.`);
  }
}

export class SnapshotMetadataNotFound extends NotFound {
  constructor(snapshotId: string, key: string) {
    super(`Snapshot ${snapshotId} has no metadata with key ${key}.`);
  }
}

/** Cinder's `SnapshotIsBusy`: the snapshot has dependent volumes (clones); it stays `available`. */
export class SnapshotIsBusy extends CinderError {
  constructor(snapshotName: string) {
    super(`deleting snapshot ${snapshotName} that has dependent volumes`);
  }
}
