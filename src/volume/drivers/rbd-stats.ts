/**
 * Capacity of an RBD backend, as Cinder's RBD driver reports it (`_get_pool_stats`,
 * `_get_usage_info`): pool-level figures from `ceph df` and the pool's quota, thin provisioned.
 */
import { VolumeBackendAPIException } from '../../common/errors.js';
import type { RbdOptions } from '../../config/rbd-options.js';
import { GiB, type VolumeStats } from '../driver.js';
import type { CephCli } from './rbd-cli.js';
import type { CephDf, CephPoolQuota, RbdListEntry } from './rbd-json.js';

/** Options of a `volume_driver = rbd` backend section that the stats report. */
export interface RbdStatsOptions extends RbdOptions {
  volume_backend_name: string;
  reserved_percentage: number;
  max_over_subscription_ratio: number | string;
}

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

/**
 * Cinder's RBD stats: thin provisioned, capacity from `ceph df` (unknown while the cluster does
 * not answer), provisioned_capacity_gb only for a pool shared with others.
 */
export async function volumeStats(
  cli: CephCli,
  o: RbdStatsOptions,
  fsid: string | null,
  log: { warn(obj: object, msg: string): void },
): Promise<VolumeStats> {
  const name = o.volume_backend_name || 'RBD';
  const pool: VolumeStats['pools'][number] = {
    pool_name: name,
    total_capacity_gb: 'unknown',
    free_capacity_gb: 'unknown',
    reserved_percentage: o.reserved_percentage,
    thin_provisioning_support: true,
    thick_provisioning_support: false,
    max_over_subscription_ratio: o.max_over_subscription_ratio,
    QoS_support: false,
    multiattach: true,
    location_info: `${o.rbd_cluster_name}:${o.rbd_ceph_conf}:${fsid ?? 'None'}:${o.rbd_user ?? 'None'}:${o.rbd_pool}`,
    backend_state: 'down',
    replication_enabled: false,
    online_extend_support: true,
  };
  try {
    const { free, total } = await poolCapacity(cli, o.rbd_pool, o.report_dynamic_total_capacity);
    pool.free_capacity_gb = free;
    pool.total_capacity_gb = total;
    if (!o.rbd_exclusive_cinder_pool) pool.provisioned_capacity_gb = await provisionedGb(cli, o.rbd_pool);
    pool.backend_state = 'up';
  } catch (e) {
    // NOTE: Cinder too reports unknown capacity and `down` while the cluster does not answer.
    if (!(e instanceof VolumeBackendAPIException)) throw e;
    log.warn({ err: e.message }, 'rbd driver: error refreshing volume stats');
  }
  return {
    volume_backend_name: name,
    vendor_name: 'Open Source',
    driver_version: '1.3.0',
    storage_protocol: 'ceph',
    pools: [pool],
  };
}
