import {
  BackupLimitExceeded,
  UnexpectedOverQuota,
  VolumeBackupSizeExceedsAvailableQuota,
  VolumeLimitExceeded,
  VolumeSizeExceedsAvailableQuota,
  SnapshotLimitExceeded,
  type QuotaError,
} from '../common/errors.js';

/** What the quota engine reports when a reservation would exceed a limit (Cinder's `OverQuota`). */
export class OverQuota extends Error {
  constructor(
    readonly overs: string[],
    readonly quotas: Record<string, number>,
    readonly usages: Record<string, { in_use: number; reserved: number }>,
  ) {
    super(`Quota exceeded for resources: ${overs.join(', ')}`);
  }
}

/**
 * Turns an `OverQuota` into the user-facing 413 error, in the order Cinder's
 * `process_reserve_over_quota` checks the over resources (sorted names).
 */
export function overQuotaToError(e: OverQuota, deltas: Record<string, number>): QuotaError {
  const consumed = (r: string) => (e.usages[r]?.in_use ?? 0) + (e.usages[r]?.reserved ?? 0);
  for (const over of [...e.overs].sort()) {
    if (over.includes('gigabytes')) {
      return new VolumeSizeExceedsAvailableQuota(
        over,
        deltas[over] ?? 0,
        e.quotas[over] ?? 0,
        consumed(over),
      );
    }
    if (over.includes('snapshots')) return new SnapshotLimitExceeded(e.quotas[over] ?? 0, over);
    if (over.includes('volumes')) return new VolumeLimitExceeded(e.quotas[over] ?? 0, over);
  }
  return new UnexpectedOverQuota(e.overs.join(', '));
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
