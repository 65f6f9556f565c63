/** Volumes, their attachments and metadata, and the backend errors of the volume drivers. */
import { CinderError, Conflict, Invalid, NotFound } from './base.js';

export class InvalidVolume extends Invalid {
  constructor(reason: string) {
    super(`Invalid volume: ${reason}`);
  }
}

/** A `ro` volume asked to attach `rw` (Cinder's `InvalidVolumeAttachMode`). */
export class InvalidVolumeAttachMode extends Invalid {
  constructor(mode: string, volumeId: string) {
    super(`Invalid attaching mode '${mode}' for volume ${volumeId}.`);
  }
}

export class InvalidVolumeMetadata extends Invalid {
  constructor(reason: string) {
    super(`Invalid metadata: ${reason}`);
  }
}

export class InvalidVolumeMetadataSize extends Invalid {
  constructor(reason: string) {
    super(`Invalid metadata size: ${reason}`);
  }
}

export class InvalidAvailabilityZone extends Invalid {
  constructor(az: string) {
    super(`Availability zone '${az}' is invalid.`);
  }
}

/** `Invalid host: <reason>` (a migration target that is no usable volume service). */
export class InvalidHost extends Invalid {
  constructor(reason: string) {
    super(`Invalid host: ${reason}`);
  }
}

export class VolumeNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume ${id} could not be found.`);
  }
}

/** `Volume attachment could not be found with filter: attachment_id = <id>.` */
export class VolumeAttachmentNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume attachment could not be found with filter: attachment_id = ${id}.`);
  }
}

export class VolumeMetadataNotFound extends NotFound {
  constructor(volumeId: string, key: string) {
    super(`Volume ${volumeId} has no metadata with key ${key}.`);
  }
}

/** A user deleting an attachment a server still uses (Cinder's Bug #2004555 guard). */
export class ConflictNovaUsingAttachment extends Conflict {
  override readonly prefixClassName: boolean = true;
  constructor(instanceId: string) {
    super(`Detach volume from instance ${instanceId} using the Compute API`);
  }
}

/** Cinder's `VolumeIsBusy`: the backing object cannot be removed now (in use); retry later. */
export class VolumeIsBusy extends CinderError {
  readonly volumeName: string;
  constructor(volumeName: string, message = `deleting volume ${volumeName} that has snapshot`) {
    super(message);
    this.volumeName = volumeName;
  }
}

/**
 * Cinder's `ManageExistingInvalidReference`: the driver cannot adopt what the reference names (no
 * such object, wrong form). Raised on the volume service, so the volume ends `error_managing`.
 */
export class ManageExistingInvalidReference extends CinderError {
  /** `existingRef` as Cinder prints it: the name, or the reference dict's Python repr. */
  constructor(existingRef: string, reason: string) {
    super(`Manage existing volume failed due to invalid backend reference ${existingRef}: ${reason}`);
  }
}

/** A driver was used before `doSetup`/`checkForSetupError` succeeded. */
export class DriverNotInitialized extends CinderError {
  override readonly code: number = 500;
  constructor(driver = 'Volume driver') {
    super(`${driver} not ready.`);
  }
}

/** Storing what `create_export` answered failed (`ExportFailure`). */
export class ExportFailure extends Invalid {
  constructor(reason: string) {
    super(`Failed to export for volume: ${reason}`);
  }
}

/** `Failed to remove export for volume <id>: <reason>` (a detach whose export would not go). */
export class RemoveExportException extends CinderError {
  override readonly code: number = 500;
  constructor(volume: string, reason: string) {
    super(`Failed to remove export for volume ${volume}: ${reason}`);
  }
}

/** A backend operation failed. */
export class VolumeBackendAPIException extends CinderError {
  override readonly code: number = 500;
  constructor(data: string) {
    super(`Bad or unexpected response from the storage volume backend API: ${data}`);
  }
}
