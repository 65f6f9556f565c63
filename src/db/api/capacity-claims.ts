import type { DatabaseHandle } from '../connection.js';
import type { Db } from './common.js';
import type { VolumesTable } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { extractHost } from '../../common/host.js';
import { withDeadlockRetry } from '../retry.js';
import { preparedQueries, preparedQuery } from '../prepared-query.js';

/**
 * The scheduler's final capacity claim, in one transaction: with the backend's service row locked
 * (so claims on one backend queue up across every scheduler process), read the GiB already placed
 * on the pool and record the volume there only if `size` still fits under `limitGb`.
 * The GiB placed come from `capacity_allocations` (kept by triggers on `volumes`, migration 014):
 * one row, however many volumes the pool holds; the volume being claimed does not count against
 * itself (a reschedule back onto a pool it is already recorded on).
 * NOTE: Cinder trusts each scheduler's in-memory view, so two schedulers can over-commit a
 * backend; the database is shared, so it decides.
 */
export async function claimVolumeHost(
  h: DatabaseHandle,
  args: {
    volumeId: string;
    volumeHost: string;
    size: number;
    limitGb: number | null;
    values: Partial<VolumesTable>;
  },
): Promise<{ claimed: boolean; allocatedGb: number; updated: boolean }> {
  // A clustered backend is one backend whatever member the volume lands on: claims lock the
  // members' rows and count by `cluster_name`.
  const cluster = args.values.cluster_name ?? null;
  const backend = extractHost(cluster ?? args.volumeHost, 'backend') ?? cluster ?? args.volumeHost;
  const kind = cluster ? 'cluster_name' : 'host';
  const location = cluster ?? args.volumeHost;
  return withDeadlockRetry(() =>
    h.db.transaction().execute(async (trx) => {
      if (h.dialect !== 'sqlite') {
        // SQLite transactions already run one at a time on the single connection.
        await trx
          .selectFrom('services')
          .select('id')
          .where(kind, '=', backend)
          .where('binary', '=', 'cinder-volume')
          .where('deleted', '=', 0)
          .orderBy('id')
          .forUpdate()
          .execute();
      }
      // NOTE: plain reads, after the lock: MySQL takes its repeatable-read snapshot at the first
      // plain read, so it sees every claim committed before ours. A locking read is not needed and
      // would, on a pool's first claim (no row yet), take a gap lock: the pattern by which two
      // transactions inserting into the same gap can deadlock on InnoDB.
      const self = (await sizeIfPlacedOn(kind)(trx, { id: args.volumeId, location })).rows[0];
      const placed = (await allocatedAt(trx, { kind, location })).rows[0];
      const allocatedGb = Number(placed?.allocated_gb ?? 0) - (self?.size ?? 0);
      if (args.limitGb !== null && allocatedGb + args.size > args.limitGb)
        return { claimed: false, allocatedGb, updated: false };
      const res = await trx
        .updateTable('volumes')
        .set({ ...args.values, host: args.volumeHost, updated_at: isoNow() })
        .where('id', '=', args.volumeId)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      return { claimed: true, allocatedGb: allocatedGb + args.size, updated: Number(res.numUpdatedRows) > 0 };
    }),
  );
}

/** The size of a live volume, if it is placed on `location` (a host or a cluster, per `kind`). */
const sizeIfPlacedOn = preparedQueries(
  (kind: 'host' | 'cluster_name') => (db: Db, v: { id: string; location: string }) =>
    db
      .selectFrom('volumes')
      .select('size')
      .where('id', '=', v.id)
      .where(kind, '=', v.location)
      .where('deleted', '=', 0),
);

/** The GiB placed on a host or a cluster (`capacity_allocations`, migration 014). */
const allocatedAt = preparedQuery((db, v: { kind: 'host' | 'cluster_name'; location: string }) =>
  db
    .selectFrom('capacity_allocations')
    .select('allocated_gb')
    .where('kind', '=', v.kind)
    .where('location', '=', v.location),
);
