import type { CoreDeps } from '../common/deps.js';
import { volumeDestroy, type VolumeRecord } from '../db/api/volumes.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { withDeadlockRetry } from '../db/retry.js';
import { volumeDeltas } from '../quota/resources.js';

/**
 * The last step of a delete: gives the volume's quota back and soft-deletes its row in one
 * transaction, so a crash can neither free quota twice nor leak it.
 */
export async function destroyVolumeReleasingQuota(deps: CoreDeps, v: VolumeRecord): Promise<void> {
  const db = deps.dbh.db;
  const type = await volumeTypeGet(db, v.volume_type_id, true);
  await withDeadlockRetry(() =>
    db.transaction().execute(async (trx) => {
      if (v.use_quota && v.project_id)
        await deps.quotas.releaseUsage(trx, v.project_id, volumeDeltas(v.size, type?.name ?? null, -1));
      await volumeDestroy(trx, v.id);
    }),
  );
}
