/** Backups: the backup API and service (once `src/backup/errors.ts`). */
import { CinderError, Invalid, NotFound } from './base.js';

export class InvalidBackup extends Invalid {
  constructor(reason: string) {
    super(`Invalid backup: ${reason}`);
  }
}

export class BackupNotFound extends NotFound {
  constructor(id: string) {
    super(`Backup ${id} could not be found.`);
  }
}

/** `ServiceNotFound` naming a service by name, e.g. `Service cinder-backup could not be found.` */
export class BackupServiceNotFound extends NotFound {
  constructor(serviceId: string) {
    super(`Service ${serviceId} could not be found.`);
  }
}

/** `NotSupportedOperation` (405 in Cinder's exception table). */
export class NotSupportedOperation extends CinderError {
  override readonly code: number = 405;
  constructor(operation: string) {
    super(`Operation not supported: ${operation}.`);
  }
}

/** `BackupOperationError`: a restore step after the data failed (e.g. its volume metadata). */
export class BackupOperationError extends CinderError {}

/** A backup or restore stopped because the backup's status changed under it (force delete, reset). */
export class BackupRestoreCancel extends Error {
  constructor(backupId: string, volumeId: string) {
    super(`Canceled backup ${backupId} restore on volume ${volumeId}`);
    this.name = 'BackupRestoreCancel';
  }
}
