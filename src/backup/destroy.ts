import type { CoreDeps } from '../common/deps.js';
import { backupAdjustDependents, backupDestroy, type BackupRecord } from '../db/api/backups.js';
import { withDeadlockRetry } from '../db/retry.js';

/** Quota deltas of a backup (or, negated, of its deletion): `backups` and `backup_gigabytes`. */
export function backupDeltas(size: number, sign = 1): Record<string, number> {
  return { backups: sign, backup_gigabytes: sign * size };
}

/**
 * The last step of a backup delete: gives its `backups`/`backup_gigabytes` usage back and
 * soft-deletes the row in one transaction, so a crash can neither free quota twice nor leak it;
 * an incremental's parent counts one dependent less in it too.
 */
export async function destroyBackupReleasingQuota(deps: CoreDeps, b: BackupRecord): Promise<void> {
  const db = deps.dbh.db;
  await withDeadlockRetry(() =>
    db.transaction().execute(async (trx) => {
      if (b.project_id) await deps.quotas.releaseUsage(trx, b.project_id, backupDeltas(b.size ?? 0, -1));
      await backupDestroy(trx, b.id);
      if (b.parent_id) await backupAdjustDependents(trx, b.parent_id, -1);
    }),
  );
}
