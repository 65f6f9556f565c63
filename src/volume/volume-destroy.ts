import type { CoreDeps } from '../common/deps.js';
import { volumeDestroy, type VolumeRecord } from '../db/api/volumes.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { withDeadlockRetry } from '../db/retry.js';
import { volumeDeltas } from '../quota/resources.js';
import { settleVolumeQuotaIn } from '../quota/volume-reservations.js';

/**
 * The last step of a delete: gives the volume's quota back and soft-deletes its row in one
 * transaction, so a crash can neither free quota twice nor leak it. A volume whose quota was
 * never committed (its api flow died first) gives back its reservations instead of usage it
 * never had (src/quota/volume-reservations.ts).
 */
export async function destroyVolumeReleasingQuota(deps: CoreDeps, v: VolumeRecord): Promise<void> {
  const db = deps.dbh.db;
  // The row as read carries its type's name (joined); only a row without it costs a query.
  const typeName =
    v.volume_type_name ??
    (v.volume_type_id ? ((await volumeTypeGet(db, v.volume_type_id, true))?.name ?? null) : null);
  await withDeadlockRetry(() =>
    db.transaction().execute(async (trx) => {
      const pending = await settleVolumeQuotaIn(deps, trx, v.id, 'rollback');
      if (pending === 'none' && v.use_quota && v.project_id)
        await deps.quotas.releaseUsage(trx, v.project_id, volumeDeltas(v.size, typeName, -1));
      await volumeDestroy(trx, v.id);
    }),
  );
}
