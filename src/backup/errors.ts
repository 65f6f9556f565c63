/**
 * Errors of the backup service and API that Cinder raises and `src/common/errors.ts` does not
 * have yet (kept here, with the rest of the backup code).
 */
import { CinderError, NotFound, QuotaError, UnexpectedOverQuota } from '../common/errors.js';
import { OverQuota } from '../quota/over-quota.js';

/** `BackupLimitExceeded` (413): too many backups. */
export class BackupLimitExceeded extends QuotaError {
  constructor(allowed: number) {
    super(`Maximum number of backups allowed (${allowed}) exceeded`);
  }
}

/** `VolumeBackupSizeExceedsAvailableQuota` (413): not enough `backup_gigabytes`. */
export class VolumeBackupSizeExceedsAvailableQuota extends QuotaError {
  constructor(requested: number, quota: number, consumed: number) {
    super(
      `Requested backup exceeds allowed Backup gigabytes quota. Requested ${requested}G, quota is ${quota}G and ${consumed}G has been consumed.`,
    );
  }
}

/** `ServiceNotFound` naming a service by name, e.g. `Service cinder-backup could not be found.` */
export class BackupServiceNotFound extends NotFound {
  constructor(serviceId: string) {
    super(`Service ${serviceId} could not be found.`);
  }
}

/** 503 with the message (webob's HTTPServiceUnavailable, as Cinder's create/import answer it). */
export class ServiceUnavailable extends CinderError {
  override readonly code: number = 503;
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

/**
 * Cinder's `process_reserve_over_quota(resource='backups')`: a `*gigabytes` over first (in the
 * order reported), then the backup count.
 */
export function backupOverQuotaToError(e: OverQuota, size: number): QuotaError {
  const consumed = (r: string) => (e.usages[r]?.in_use ?? 0) + (e.usages[r]?.reserved ?? 0);
  for (const over of [...e.overs].sort()) {
    if (over.includes('gigabytes'))
      return new VolumeBackupSizeExceedsAvailableQuota(size, e.quotas[over] ?? 0, consumed(over));
    if (over === 'backups') return new BackupLimitExceeded(e.quotas[over] ?? 0);
  }
  return new UnexpectedOverQuota(e.overs.join(', '));
}
