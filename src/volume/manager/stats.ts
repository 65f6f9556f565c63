import { extractHost, DEFAULT_POOL_NAME } from '../../common/host.js';
import { volumeAllocatedBy } from '../../db/api/volumes.js';
import type { VolumeStats } from '../driver.js';
import type { ManagerBackend } from './backend.js';

/**
 * Driver stats with the allocated capacity of each pool, as the manager reports them. Allocated
 * GiB are counted from the database (every volume placed on the pool and not deleted), so they
 * stay right across reschedules, restarts and peers.
 */
export async function volumeStats(b: ManagerBackend): Promise<VolumeStats> {
  const stats = await b.driver.getVolumeStats(true);
  const allocated = new Map<string, number>();
  const placed = b.cluster
    ? await volumeAllocatedBy(b.deps.dbh.db, 'cluster_name', `${b.cluster}#`)
    : await volumeAllocatedBy(b.deps.dbh.db, 'host', `${b.host}#`);
  for (const [where, size] of placed) {
    const pool = extractHost(where, 'pool') ?? DEFAULT_POOL_NAME;
    allocated.set(pool, (allocated.get(pool) ?? 0) + size);
  }
  for (const p of stats.pools) p.allocated_capacity_gb = allocated.get(p.pool_name) ?? 0;
  stats.backend_state = b.initialized() ? 'up' : 'down';
  return stats;
}
