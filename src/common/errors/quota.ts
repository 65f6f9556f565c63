/** Quota errors: 413 `overLimit`, shown as `<ClassName>: <text>`. */
import { QuotaError } from './base.js';

export class VolumeSizeExceedsAvailableQuota extends QuotaError {
  constructor(name: string, requested: number, quota: number, consumed: number) {
    super(
      `Requested volume or snapshot exceeds allowed ${name} quota. Requested ${requested}G, quota is ${quota}G and ${consumed}G has been consumed.`,
    );
  }
}

export class VolumeSizeExceedsLimit extends QuotaError {
  constructor(size: number, limit: number) {
    super(`Requested volume size ${size}G is larger than maximum allowed limit ${limit}G.`);
  }
}

export class VolumeLimitExceeded extends QuotaError {
  constructor(allowed: number, name: string) {
    super(`Maximum number of volumes allowed (${allowed}) exceeded for quota '${name}'.`);
  }
}

export class SnapshotLimitExceeded extends QuotaError {
  constructor(allowed: number, name = 'snapshots') {
    // NOTE: Cinder's text names no quota (its `name` argument is unused).
    super(`Maximum number of snapshots allowed (${allowed}) exceeded`);
    void name;
  }
}

export class GroupLimitExceeded extends QuotaError {
  constructor(allowed: number) {
    super(`Maximum number of groups allowed (${allowed}) exceeded`);
  }
}

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

export class UnexpectedOverQuota extends QuotaError {
  constructor(names: string) {
    super(`Unexpected over quota on ${names}.`);
  }
}
