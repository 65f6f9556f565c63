/**
 * The scheduler's view of the volume backends (Cinder's `HostManager`): keeps the latest
 * capability report of every backend, turns up/enabled services that have reported into pool
 * states, and runs the configured filters and weighers over them.
 */
import { appendHost } from '../common/host.js';
import { BackendState } from './backend-state.js';
import type { FilterReport } from './decision.js';
import type { PoolState } from './pool-state.js';
import type { CapabilityDict } from './state-base.js';
import { capabilitiesToWire, equalAfterConvert, type PoolListing } from './pool-listing.js';
import { parseTimestamp } from './timestamps.js';
import type {
  Capabilities,
  FilterProperties,
  SchedulerLogger,
  VolumeServiceInfo,
  VolumeTypeLike,
} from './types.js';
import { chooseFilters, DEFAULT_FILTERS, getFilteredObjects, type BackendFilter } from './filters/index.js';
import {
  chooseWeighers,
  DEFAULT_WEIGHERS,
  getWeighedObjects,
  type WeighedBackend,
  type WeigherOptions,
} from './weighers/index.js';

/** Scheduler options the HostManager reads (cinder.conf names). */
export interface HostManagerConfig {
  /** Default over-subscription ratio for backends that report none (`"20.0"` or `"auto"`). */
  max_over_subscription_ratio: string;
  capacity_weight_multiplier: number;
  allocated_capacity_weight_multiplier: number;
}

/** What a HostManager is built from. */
export interface HostManagerOptions {
  /** Current `cinder-volume` service rows (host `host@backend`, up/disabled/frozen, AZ). */
  listVolumeServices: () => Promise<VolumeServiceInfo[]>;
  /** `scheduler_default_filters` (default AZ, Capacity, Capabilities). */
  filterNames?: readonly string[];
  /** `scheduler_default_weighers` (default CapacityWeigher). */
  weigherNames?: readonly string[];
  options: HostManagerConfig;
  logger?: SchedulerLogger;
  /** Clock (tests). */
  now?: () => Date;
  /** Randomness for ChanceWeigher (tests). */
  random?: () => number;
}

/** get_pools filters: exact pool `name`, a resolved `volume_type`, or any capability value. */
export interface GetPoolsFilters {
  name?: string | null;
  volume_type?: VolumeTypeLike | null;
  [capability: string]: unknown;
}

/** Tracks backend capabilities and answers the FilterScheduler's questions. */
export class HostManager {
  readonly #listVolumeServices: () => Promise<VolumeServiceInfo[]>;
  readonly #config: HostManagerConfig;
  readonly #weigherOptions: WeigherOptions;
  readonly #weigherNames: readonly string[];
  readonly #filters: readonly BackendFilter[];
  readonly #log: SchedulerLogger | undefined;
  readonly #now: () => Date;
  /** Latest report per backend key (cluster name or `host@backend`), with `timestamp`. */
  readonly #serviceStates = new Map<string, CapabilityDict>();
  readonly #backendStates = new Map<string, BackendState>();
  #noCapabilities = new Set<string>();

  /** Resolves filter and weigher names now: an unknown name throws (start-up error). */
  constructor(opts: HostManagerOptions) {
    this.#listVolumeServices = opts.listVolumeServices;
    this.#config = { ...opts.options };
    this.#log = opts.logger;
    this.#now = opts.now ?? (() => new Date());
    this.#filters = chooseFilters(opts.filterNames ?? DEFAULT_FILTERS, opts.logger);
    this.#weigherOptions = {
      capacity_weight_multiplier: opts.options.capacity_weight_multiplier,
      allocated_capacity_weight_multiplier: opts.options.allocated_capacity_weight_multiplier,
      ...(opts.random ? { random: opts.random } : {}),
    };
    this.#weigherNames = [...(opts.weigherNames ?? DEFAULT_WEIGHERS)];
    chooseWeighers(this.#weigherNames, this.#weigherOptions);
  }

  /**
   * Record a capability report (the `update_service_capabilities` fanout cast). Only `volume`
   * services count; a report older than the one held for that backend is ignored. `host` is
   * `host@backend`; clustered services are keyed by `clusterName`.
   */
  updateServiceCapabilities(
    serviceName: string,
    host: string,
    capabilities: Capabilities,
    clusterName: string | null,
    timestamp: string | Date | null,
  ): void {
    if (serviceName !== 'volume') {
      this.#log?.debug({ serviceName, host }, 'Ignoring non-volume service capability update.');
      return;
    }
    const ts = parseTimestamp(timestamp, this.#now());
    const backend = clusterName || host;
    const old = this.#serviceStates.get(backend)?.['timestamp'];
    if (old instanceof Date && ts < old) {
      this.#log?.info({ backend }, 'Ignoring old capability report.');
      return;
    }
    this.#serviceStates.set(backend, { ...structuredClone(capabilities), timestamp: ts });
    this.#noCapabilities.delete(backend);
  }

  /** Whether a capability report is held for this backend key (`host@backend` or cluster). */
  hasReported(host: string): boolean {
    return this.#serviceStates.has(host);
  }

  /** False while some up service seen at the last refresh has not reported yet. */
  hasAllCapabilities(): boolean {
    return this.#noCapabilities.size === 0;
  }

  /** Forget a backend (service removed): its report and its pool states. */
  removeBackend(host: string): void {
    this.#serviceStates.delete(host);
    this.#backendStates.delete(host);
  }

  /** Pool states of every up, enabled, unfrozen volume service that has reported. */
  async getAllBackendStates(): Promise<PoolState[]> {
    await this.#refreshBackendStates();
    return [...this.#backendStates.values()].flatMap((state) => [...state.pools.values()]);
  }

  /**
   * Pools passing the configured filters (or the named ones); with `report`, each filter's pass
   * (pools kept, pools removed and why) is appended to it.
   */
  getFilteredBackends(
    states: readonly PoolState[],
    filterProperties: FilterProperties,
    filterNames?: readonly string[],
    report?: FilterReport[],
  ): PoolState[] {
    const filters = filterNames ? chooseFilters(filterNames, this.#log) : this.#filters;
    return getFilteredObjects(filters, states, filterProperties, 0, report);
  }

  /** Pools with their total weight, best first (configured weighers, or the named ones). */
  getWeighedBackends(
    states: readonly PoolState[],
    weightProperties: FilterProperties,
    weigherNames?: readonly string[],
  ): WeighedBackend[] {
    const weighers = chooseWeighers(weigherNames ?? this.#weigherNames, this.#weigherOptions);
    return getWeighedObjects(weighers, states, weightProperties);
  }

  /** Give back capacity virtually consumed on pool `poolId` (`host@backend#pool`) by a failed try. */
  revertVolumeConsumedCapacity(poolId: string, size: number): void {
    for (const [key, state] of this.#backendStates) {
      for (const pool of state.pools.values()) {
        if (poolId === `${key}#${pool.pool_name}`) pool.consumeFromVolume(-size, null);
      }
    }
  }

  /**
   * Pools for GET scheduler-stats/get_pools. `name` must equal `host@backend#pool`; any other
   * key (except `volume_type`) is compared with the pool capability of that name; `volume_type`
   * (already resolved by the caller) keeps pools passing the filters for that type.
   * Capabilities are in wire form; `storage_protocol` is still the variant list (the API view
   * shows its first entry).
   */
  async getPools(filters: GetPoolsFilters = {}): Promise<PoolListing[]> {
    await this.#refreshBackendStates();
    const { name, volume_type: volumeType, ...others } = filters;
    let pools: PoolState[] = [];
    for (const [key, state] of this.#backendStates) {
      for (const pool of state.pools.values()) {
        if (name && appendHost(key, pool.pool_name) !== name) continue;
        const matches = Object.entries(others).every(([attr, value]) =>
          equalAfterConvert(pool.capabilities[attr], value),
        );
        if (matches) pools.push(pool);
      }
    }
    if (volumeType) {
      pools = this.getFilteredBackends(pools, {
        volume_type: volumeType,
        resource_type: volumeType,
        qos_specs: (volumeType['qos_specs'] as Record<string, string> | undefined) ?? null,
      });
    }
    return pools.map((p) => ({ name: p.backend_id, capabilities: capabilitiesToWire(p.capabilities) }));
  }

  /** Cinder's `_update_backend_state_map`: rebuild backend states from services and reports. */
  async #refreshBackendStates(): Promise<void> {
    const services = await this.#listVolumeServices();
    const active = new Set<string>();
    const noCapabilities = new Set<string>();
    for (const service of services) {
      if (service.disabled || service.frozen) continue;
      if (!service.up) {
        this.#log?.warn({ host: service.host }, 'volume service is down.');
        continue;
      }
      const key = service.cluster_name || service.host;
      // NOTE: every service of a cluster shares one report; the first up one stands for all.
      if (active.has(key)) continue;
      const report =
        (service.cluster_name ? this.#serviceStates.get(service.cluster_name) : undefined) ??
        this.#serviceStates.get(service.host);
      if (!report) {
        noCapabilities.add(key);
        continue;
      }
      let state = this.#backendStates.get(key);
      if (!state) {
        state = new BackendState(service.host, service.cluster_name ?? null);
        this.#backendStates.set(key, state);
      }
      state.updateFromVolumeCapability(report, service, this.#config.max_over_subscription_ratio);
      active.add(key);
    }
    this.#noCapabilities = noCapabilities;
    for (const key of [...this.#backendStates.keys()]) {
      if (!active.has(key)) this.#backendStates.delete(key);
    }
  }
}
