import type { CoreDeps } from '../common/deps.js';
import { snapshotDestroy, type SnapshotRecord } from '../db/api/snapshots.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { withDeadlockRetry } from '../db/retry.js';
import { snapshotDeltas } from './snapshot-quota.js';

/**
 * The last step of a snapshot delete: gives its `snapshots`/`gigabytes` (and per-type) usage back
 * and soft-deletes the row in one transaction, so a crash can neither free quota twice nor leak it.
 */
export async function destroySnapshotReleasingQuota(deps: CoreDeps, s: SnapshotRecord): Promise<void> {
  const db = deps.dbh.db;
  const type = s.volume_type_id ? await volumeTypeGet(db, s.volume_type_id, true) : null;
  await withDeadlockRetry(() =>
    db.transaction().execute(async (trx) => {
      if (s.use_quota && s.project_id)
        await deps.quotas.releaseUsage(
          trx,
          s.project_id,
          snapshotDeltas(s.volume_size, type?.name ?? null, -1),
        );
      await snapshotDestroy(trx, s.id);
    }),
  );
}
