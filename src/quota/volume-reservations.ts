/**
 * A new volume's quota, from its row to its commit, exactly once.
 *
 * The api flow reserves quota (QuotaReserveTask), writes the row (EntryCreateTask), then commits
 * (QuotaCommitTask). A process killed between the last two leaves a row whose reservations nobody
 * will commit: the scheduler's sweep places the volume later, and without a record of them its
 * usage would stay short for good once the reservations expire. So EntryCreateTask writes, in the
 * same transaction as the row, a note of the reservation ids in the volume's admin metadata (key
 * `quota_reservations`, as Cinder keeps its own bookkeeping keys such as `temporary` there), and
 * whatever settles the quota removes the note in the transaction that settles it:
 * - the flow's QuotaCommitTask, or the scheduler when it finds the volume unplaced
 *   ({@link commitVolumeQuota}): commit (reservations the expiry already gave back count too);
 * - a delete of the row before that, or the api flow's revert ({@link discardVolumeIfQuotaPending},
 *   {@link settleVolumeQuotaIn}): roll back, and release nothing (the volume never counted);
 * - the scheduler's periodic {@link settlePendingVolumeQuotas}: either, for notes left behind.
 * A note exists exactly while the volume's quota is neither committed nor given back; taking it
 * under a row lock first makes concurrent settlers agree on who does it. The note's rows are
 * src/db/api/volume-quota-note.ts.
 */
import type { Db } from '../db/api/common.js';
import {
  volumeQuotaNoteDelete,
  volumeQuotaNoteLock,
  volumeQuotaNotesBefore,
} from '../db/api/volume-quota-note.js';
import { volumeDestroy, volumeIsLive } from '../db/api/volumes.js';
import type { DatabaseHandle } from '../db/connection.js';
import { withDeadlockRetry } from '../db/retry.js';
import { formatTimestamp } from '../common/time.js';
import type { QuotaEngine } from './quota-engine.js';

// NOTE: the api flows, the image cache and tests take the note's key and metadata from here, with
// the rest of the note's story.
export { PENDING_QUOTA_KEY, pendingQuotaMetadata } from '../db/api/volume-quota-note.js';

/** What settling needs of CoreDeps (declared above this layer). */
interface Deps {
  readonly dbh: DatabaseHandle;
  readonly quotas: QuotaEngine;
}

/** What settling a volume's pending quota did. */
export type SettleOutcome = 'committed' | 'rolled back' | 'none';

/**
 * Settles a volume's pending quota inside the caller's transaction: `commit` makes it usage
 * (counting reservations the expiry already released), `rollback` gives the reservations back,
 * `auto` commits while the volume row is live and rolls back otherwise. Returns `none` when
 * there was nothing pending (already committed, given back, or never noted).
 */
export async function settleVolumeQuotaIn(
  deps: Deps,
  trx: Db,
  volumeId: string,
  how: 'commit' | 'rollback' | 'auto',
): Promise<SettleOutcome> {
  const note = await volumeQuotaNoteLock(trx, deps.dbh, volumeId);
  if (!note) return 'none';
  let commit = how === 'commit';
  if (how === 'auto') commit = await volumeIsLive(trx, volumeId);
  // NOTE: the note goes before the quota is settled (the same transaction either way), so the
  // project's usage rows, locked last by commitIn/rollbackIn, are held as briefly as can be.
  await volumeQuotaNoteDelete(trx, note);
  if (commit) await deps.quotas.commitIn(trx, note.reservations, true);
  else await deps.quotas.rollbackIn(trx, note.reservations);
  return commit ? 'committed' : 'rolled back';
}

/**
 * Commits a live volume's pending quota, once: QuotaCommitTask, and the scheduler when it places
 * a volume whose api flow died. Returns whether this call committed it.
 */
export async function commitVolumeQuota(deps: Deps, volumeId: string): Promise<boolean> {
  const outcome = await withDeadlockRetry(() =>
    deps.dbh.db.transaction().execute((trx) => settleVolumeQuotaIn(deps, trx, volumeId, 'auto')),
  );
  return outcome === 'committed';
}

/**
 * The api flow's EntryCreateTask revert: while the volume's quota is still pending, destroys the
 * row and gives its reservations back, together. Returns false (and leaves the row) when the quota
 * was already committed.
 */
export async function discardVolumeIfQuotaPending(deps: Deps, volumeId: string): Promise<boolean> {
  return withDeadlockRetry(() =>
    deps.dbh.db.transaction().execute(async (trx) => {
      if ((await settleVolumeQuotaIn(deps, trx, volumeId, 'rollback')) === 'none') return false;
      await volumeDestroy(trx, volumeId);
      return true;
    }),
  );
}

/**
 * The scheduler's periodic pass: settles every note older than `olderThanSeconds` (a live volume's
 * quota is committed, a deleted one's reservations are given back). Results as values.
 */
export async function settlePendingVolumeQuotas(
  deps: Deps,
  olderThanSeconds: number,
): Promise<{ committed: string[]; rolledBack: string[] }> {
  const cutoff = formatTimestamp(new Date(Date.now() - olderThanSeconds * 1000));
  const volumeIds = await volumeQuotaNotesBefore(deps.dbh.db, cutoff);
  const out = { committed: [] as string[], rolledBack: [] as string[] };
  for (const volume_id of volumeIds) {
    const outcome = await withDeadlockRetry(() =>
      deps.dbh.db.transaction().execute((trx) => settleVolumeQuotaIn(deps, trx, volume_id, 'auto')),
    );
    if (outcome === 'committed') out.committed.push(volume_id);
    else if (outcome === 'rolled back') out.rolledBack.push(volume_id);
  }
  return out;
}
