/**
 * Capacity of an RBD backend, as Cinder's RBD driver reports it (`_get_pool_stats`,
 * `_get_usage_info`): pool-level figures from `ceph df` and the pool's quota, thin provisioned.
 */
import { VolumeBackendAPIException } from '../../common/errors.js';
import { GiB } from '../driver.js';
import type { CephCli } from './rbd-cli.js';
import type { CephDf, CephPoolQuota, RbdListEntry } from './rbd-json.js';

/** Free and total GiB of `pool`, rounded to two decimals. */
export async function poolCapacity(
  cli: CephCli,
  pool: string,
  dynamicTotal: boolean,
): Promise<{ free: number; total: number }> {
  const [df, quota] = await Promise.all([
    cli.cephJson<CephDf>(['df']),
    cli.cephJson<CephPoolQuota>(['osd', 'pool', 'get-quota', pool]),
  ]);
  const stats = df.pools.find((p) => p.name === pool)?.stats;
  if (!stats) throw new VolumeBackendAPIException(`Pool ${pool} is not in ceph df`);
  // NOTE: Nautilus renamed bytes_used to stored (bytes_used became the raw, replicated figure).
  const used = stats.stored ?? stats.bytes_used;
  let total: number;
  let free: number;
  if (quota.quota_max_bytes) {
    // with a quota, the total is the quota and free what is left of it (never more than the pool has)
    total = quota.quota_max_bytes;
    free = Math.max(Math.min(total - used, stats.max_avail), 0);
  } else {
    total = df.stats.total_bytes;
    free = stats.max_avail;
  }
  if (dynamicTotal) total = free + used;
  const gb = (bytes: number) => Math.round((bytes / GiB) * 100) / 100;
  return { free: gb(free), total: gb(total) };
}

/**
 * Provisioned GiB of every image in `pool` (snapshots not counted), rounded up: the pool is shared
 * with other users, so the scheduler's own count of this backend's volumes is not the whole story.
 */
export async function provisionedGb(cli: CephCli, pool: string): Promise<number> {
  const images = await cli.rbdJson<RbdListEntry[]>(['ls', '--long', pool]);
  const bytes = images.filter((i) => i.snapshot === undefined).reduce((sum, i) => sum + i.size, 0);
  return Math.ceil(bytes / GiB);
}
