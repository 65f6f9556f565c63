/**
 * One volume backend (`host@backend`) as the scheduler knows it, with its pools (Cinder's
 * `BackendState`). A backend that reports `pools` gets one PoolState per entry; one that does not
 * gets a single pool named after `volume_backend_name`, or `_pool0` (`BackendState.update_pools`).
 */
import { DEFAULT_POOL_NAME } from '../common/host.js';
import type { VolumeServiceInfo } from './types.js';
import { PoolState } from './pool-state.js';
import { storageProtocolVariants } from './storage-protocol.js';
import { type CapabilityDict, hasEntries, StateBase } from './state-base.js';

export { PoolState } from './pool-state.js';

/** Backend-level state: identity info from reports and the map of its pools. */
export class BackendState extends StateBase {
  /** Pools by pool name, in report order. */
  readonly pools = new Map<string, PoolState>();

  /**
   * @param host `host@backend`
   * @param clusterName cluster of the service, if clustered
   */
  constructor(host: string, clusterName: string | null) {
    super(host, clusterName);
  }

  /**
   * Apply a stored capability report (with `timestamp`) and refresh the pools. Reports older
   * than the last one applied are ignored. The report dict is not modified.
   */
  updateFromVolumeCapability(
    report: CapabilityDict,
    service: VolumeServiceInfo | null,
    globalMaxOverSubscriptionRatio: string | number,
  ): void {
    const capability = { ...report };
    const stale = this.isNewerThan(capability);
    if (hasEntries(capability) && !stale) this.updateBackend(capability);
    this.updateCapabilities(capability, service);
    if (!hasEntries(capability) || stale) return;
    this.updatePools(capability, service, globalMaxOverSubscriptionRatio);
  }

  private updatePools(
    capability: CapabilityDict,
    service: VolumeServiceInfo | null,
    globalRatio: string | number,
  ): void {
    const reported = capability['pools'];
    const active = new Set<string>();
    if (Array.isArray(reported) && reported.length > 0) {
      for (const entry of reported as CapabilityDict[]) {
        const poolName = String(entry['pool_name']);
        this.poolNamed(poolName).updateFromVolumeCapability(
          this.withBackendInfo({ ...entry }),
          service,
          globalRatio,
        );
        active.add(poolName);
      }
    } else if (reported === null || reported === undefined) {
      // NOTE: legacy drivers report no pools: the whole backend is one pool. An empty backend
      // name counts as unset here (Cinder would make a pool named '').
      const poolName = this.volume_backend_name || DEFAULT_POOL_NAME;
      this.poolNamed(poolName).updateFromVolumeCapability(
        this.withBackendInfo(capability),
        service,
        globalRatio,
      );
      active.add(poolName);
    }
    // NOTE: `pools: []` (or a non-list) leaves the backend with no pools at all, as in Cinder.
    for (const name of [...this.pools.keys()]) {
      if (!active.has(name)) this.pools.delete(name);
    }
  }

  private poolNamed(poolName: string): PoolState {
    let pool = this.pools.get(poolName);
    if (!pool) {
      pool = new PoolState(this.host, this.cluster_name, poolName);
      this.pools.set(poolName, pool);
    }
    return pool;
  }

  /** Fill backend-level info into a pool's dict where the pool did not report it. */
  private withBackendInfo(poolCap: CapabilityDict): CapabilityDict {
    if (!poolCap['volume_backend_name']) poolCap['volume_backend_name'] = this.volume_backend_name;
    const protocol = poolCap['storage_protocol'];
    poolCap['storage_protocol'] = protocol ? storageProtocolVariants(protocol) : this.storage_protocol;
    if (!poolCap['vendor_name']) poolCap['vendor_name'] = this.vendor_name;
    if (!poolCap['driver_version']) poolCap['driver_version'] = this.driver_version;
    if (!poolCap['timestamp']) poolCap['timestamp'] = this.updated;
    for (const key of ['filter_function', 'goodness_function']) {
      if (!(key in poolCap) && key in this.capabilities) poolCap[key] = this.capabilities[key];
    }
    return poolCap;
  }
}
