/** `/limits` view (Cinder's `api/views/limits.py` plus the `os-used-limits` extension). */
import type { QuotaUsage } from '../../quota/quota-engine.js';

/** Resource → absolute-limit names. */
const LIMIT_NAMES: Readonly<Record<string, string>> = {
  gigabytes: 'maxTotalVolumeGigabytes',
  backup_gigabytes: 'maxTotalBackupGigabytes',
  volumes: 'maxTotalVolumes',
  snapshots: 'maxTotalSnapshots',
  backups: 'maxTotalBackups',
};

/** Used-limit names → resource. */
const USED_NAMES: Readonly<Record<string, string>> = {
  totalVolumesUsed: 'volumes',
  totalGigabytesUsed: 'gigabytes',
  totalSnapshotsUsed: 'snapshots',
  totalBackupsUsed: 'backups',
  totalBackupGigabytesUsed: 'backup_gigabytes',
};

/** `{limits: {rate: [], absolute: {...}}}`; `withUsed` adds the `total*Used` counters. */
export function limitsView(
  quotas: Readonly<Record<string, QuotaUsage>>,
  withUsed: boolean,
): Record<string, unknown> {
  const absolute: Record<string, number> = {};
  for (const [resource, name] of Object.entries(LIMIT_NAMES)) {
    const q = quotas[resource];
    if (q) absolute[name] = q.limit;
  }
  if (withUsed) {
    for (const [name, resource] of Object.entries(USED_NAMES)) {
      const q = quotas[resource];
      if (q) absolute[name] = q.in_use;
    }
  }
  return { limits: { rate: [], absolute } };
}
