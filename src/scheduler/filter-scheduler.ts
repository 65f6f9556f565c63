/**
 * Cinder's FilterScheduler for volumes (`scheduler/filter_scheduler.py`): retry bookkeeping, filter
 * properties, filtering and weighing through the HostManager, the `resource_backend`
 * restriction, and virtual consumption of the chosen pool.
 */
import { InvalidParameterValue, NoValidBackend } from '../common/errors.js';
import { extractHost } from '../common/host.js';
import { isInfiniteOrUnknown, isThinRequest } from './capacity.js';
import { logDecision, MAX_WEIGHTS, newDecision, type SchedulerDecision } from './decision.js';
import type { HostManager } from './host-manager.js';
import type { PoolState } from './pool-state.js';
import type { FilterProperties, RequestSpec, RetryInfo, SchedulerLogger, VolumeTypeLike } from './types.js';
import type { WeighedBackend } from './weighers/index.js';

/** FilterScheduler options (cinder.conf names). */
export interface FilterSchedulerOptions {
  /** Attempts per volume including the first (default 3); 1 disables rescheduling. */
  scheduler_max_attempts: number;
  logger?: SchedulerLogger;
}

/**
 * The final, database-side capacity claim: records the volume on `volumeHost` only if the GiB
 * already placed there plus `size` stay within `limitGb` (null = no limit). Returns whether it
 * did, and how much the database says is placed there.
 */
export type CapacityClaim = (c: {
  volumeHost: string;
  clusterName: string | null;
  availabilityZone: string;
  limitGb: number | null;
  size: number;
}) => Promise<{
  claimed: boolean;
  allocatedGb: number;
}>;

/**
 * How many GiB a pool may hold in all, for this request: `(total - reserved) × mosr` for thin
 * requests on thin pools, `total - reserved` otherwise; null when capacity is infinite/unknown.
 */
export function provisioningLimit(
  pool: PoolState,
  volumeType: VolumeTypeLike | null | undefined,
): number | null {
  const total = pool.total_capacity_gb;
  if (isInfiniteOrUnknown(total) || isInfiniteOrUnknown(pool.free_capacity_gb)) return null;
  const avail = total - Math.floor((total * pool.reserved_percentage) / 100);
  const thin = isThinRequest(volumeType) && pool.thin_provisioning_support;
  return thin ? avail * pool.max_over_subscription_ratio : avail;
}

/** Where a volume goes. */
export interface ScheduledBackend {
  /** Id recorded in `retry.backends`: `host@backend#pool` (`cluster@backend#pool` when clustered). */
  backendId: string;
  /** Value for `volume.host`: `host@backend#pool`. */
  volumeHost: string;
  /** `host@backend`: the volume service to cast `create_volume` to. */
  host: string;
  /** Pool name. */
  pool: string;
  /** Value for `volume.cluster_name` (`cluster@backend#pool`) or null. */
  clusterName: string | null;
  /** The service's availability zone (written to `volume.availability_zone`). */
  availabilityZone: string;
}

/** Places volumes on pools. */
export class FilterScheduler {
  readonly #hostManager: HostManager;
  readonly #maxAttempts: number;
  readonly #log: SchedulerLogger | undefined;

  /** Throws InvalidParameterValue when `scheduler_max_attempts` < 1. */
  constructor(hostManager: HostManager, options: FilterSchedulerOptions) {
    if (!(options.scheduler_max_attempts >= 1)) {
      throw new InvalidParameterValue("Invalid value for 'scheduler_max_attempts', must be >=1");
    }
    this.#hostManager = hostManager;
    this.#maxAttempts = options.scheduler_max_attempts;
    this.#log = options.logger;
  }

  /**
   * Choose the pool for a new volume. `filterProperties` is updated in place (retry count and
   * tried backends, request spec, type, size…) so the caller can pass it on to the volume
   * service, as Cinder does. Throws NoValidBackend when attempts are exhausted or nothing fits.
   * What was decided and why is filled into `decision` (a fresh one when none is given) and
   * logged at INFO in one line, whatever the outcome.
   */
  async scheduleCreateVolume(
    requestSpec: RequestSpec,
    filterProperties: FilterProperties = {},
    claim?: CapacityClaim,
    decision: SchedulerDecision = newDecision('create_volume', requestSpec),
  ): Promise<ScheduledBackend> {
    try {
      const chosen = await this.#scheduleCreateVolume(requestSpec, filterProperties, claim, decision);
      decision.chosen = chosen.volumeHost;
      return chosen;
    } catch (e) {
      decision.error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      logDecision(this.#log, decision);
    }
  }

  async #scheduleCreateVolume(
    requestSpec: RequestSpec,
    filterProperties: FilterProperties,
    claim: CapacityClaim | undefined,
    decision: SchedulerDecision,
  ): Promise<ScheduledBackend> {
    const candidates = await this.#getWeightedCandidates(requestSpec, filterProperties, decision);
    const restricted = restrictToResourceBackend(candidates, requestSpec.resource_backend);
    if (restricted.length < candidates.length) {
      const kept = new Set(restricted);
      for (const c of candidates)
        if (!kept.has(c))
          decision.skipped.push({
            pool: c.obj.backend_id,
            reason: `not on the resource's backend ${String(requestSpec.resource_backend)}`,
          });
    }
    const size = requestSpec.volume_properties.size;
    let top: PoolState | undefined;
    for (const { obj } of restricted) {
      if (!claim) {
        top = obj;
        break;
      }
      // NOTE: our cached view may be stale (other schedulers place volumes too); the database
      // has the last word. A pool that is full there is skipped and its cache corrected.
      const limitGb = provisioningLimit(obj, requestSpec.volume_type);
      const result = await claim({
        volumeHost: obj.host,
        clusterName: obj.cluster_name,
        availabilityZone: obj.availability_zone ?? '',
        limitGb,
        size,
      });
      if (result.claimed) {
        top = obj;
        break;
      }
      decision.skipped.push({
        pool: obj.backend_id,
        reason: `full in the database: ${result.allocatedGb} GiB placed, ${size} GiB requested, limit ${String(limitGb)} GiB`,
      });
      obj.allocated_capacity_gb = Math.max(obj.allocated_capacity_gb, result.allocatedGb);
      obj.provisioned_capacity_gb = Math.max(obj.provisioned_capacity_gb, result.allocatedGb);
      this.#log?.warn(
        { pool: obj.host, allocatedGb: result.allocatedGb },
        'Pool is full in the database; trying the next one.',
      );
    }
    if (!top) {
      this.#log?.warn(
        { volumeType: requestSpec.volume_type ?? null },
        'No weighed backend found for volume.',
      );
      throw new NoValidBackend('No weighed backends available');
    }
    top.consumeFromVolume(size);
    const retry = filterProperties.retry;
    if (retry) {
      retry.backends.push(top.backend_id);
      retry.hosts.push(top.backend_id);
    }
    return {
      backendId: top.backend_id,
      volumeHost: top.host,
      host: extractHost(top.host, 'backend') ?? top.host,
      pool: top.pool_name,
      clusterName: top.cluster_name,
      availabilityZone: top.availability_zone ?? '',
    };
  }

  /**
   * The pool state for `backend` if it passes the filters for this request, else NoValidBackend
   * `Cannot place <resource> <id> on <backend>.` A `backend` without `#pool` matches any pool of
   * it. Nothing is consumed. The decision is logged at INFO as for creates.
   */
  async backendPassesFilters(
    backend: string,
    requestSpec: RequestSpec,
    filterProperties: FilterProperties = {},
    decision: SchedulerDecision = newDecision('backend_passes_filters', requestSpec),
  ): Promise<PoolState> {
    try {
      const candidates = await this.#getWeightedCandidates(requestSpec, filterProperties, decision);
      const ignorePool = !extractHost(backend, 'pool');
      for (const { obj } of candidates) {
        const id = ignorePool ? extractHost(obj.backend_id) : obj.backend_id;
        if (id === backend) {
          decision.chosen = obj.host;
          return obj;
        }
      }
      const [resource, id] = describeResource(requestSpec);
      throw new NoValidBackend(`Cannot place ${resource} ${id} on ${backend}.`);
    } catch (e) {
      decision.error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      logDecision(this.#log, decision);
    }
  }

  /**
   * The pools that pass the filters for `requestSpec`, best first; nothing is consumed (a group's
   * placement asks this for each of its volume types, src/scheduler/create-group.ts).
   */
  async weighedCandidates(
    requestSpec: RequestSpec,
    filterProperties: FilterProperties = {},
  ): Promise<PoolState[]> {
    return (await this.#getWeightedCandidates(requestSpec, filterProperties)).map((w) => w.obj);
  }

  async #getWeightedCandidates(
    requestSpec: RequestSpec,
    filterProperties: FilterProperties,
    decision?: SchedulerDecision,
  ): Promise<WeighedBackend[]> {
    // NOTE: no type (snapshots) becomes {} so filters can read it safely.
    const volumeType: VolumeTypeLike = requestSpec.volume_type ?? {};
    this.#populateRetry(filterProperties, requestSpec, decision);
    const props = requestSpec.volume_properties;
    Object.assign(filterProperties, {
      request_spec: requestSpec,
      config_options: {},
      volume_type: volumeType,
      resource_type: volumeType,
      size: props.size,
      availability_zone: props.availability_zone ?? null,
      user_id: props.user_id ?? null,
      metadata: props.metadata ?? null,
      qos_specs: props.qos_specs ?? null,
    } satisfies FilterProperties);

    // NOTE: a reschedule gives back what the failed attempt consumed on its pool.
    const lastTried = filterProperties.retry?.backends.at(-1);
    if (lastTried) this.#hostManager.revertVolumeConsumedCapacity(lastTried, props.size);

    const states = await this.#hostManager.getAllBackendStates();
    if (decision) decision.pools = states.map((p) => p.backend_id);
    const filtered = this.#hostManager.getFilteredBackends(
      states,
      filterProperties,
      undefined,
      decision?.filters,
    );
    if (filtered.length === 0) return [];
    const weighed = this.#hostManager.getWeighedBackends(filtered, filterProperties);
    if (decision)
      decision.weights = weighed
        .slice(0, MAX_WEIGHTS)
        .map((w) => ({ pool: w.obj.backend_id, weight: w.weight }));
    return weighed;
  }

  /** Set up or advance `retry`; throws once the attempts exceed `scheduler_max_attempts`. */
  #populateRetry(
    filterProperties: FilterProperties,
    requestSpec: RequestSpec,
    decision?: SchedulerDecision,
  ): void {
    const previous = filterProperties.retry;
    delete filterProperties.retry;
    if (this.#maxAttempts === 1) return;

    const retry: RetryInfo =
      previous && Object.keys(previous).length > 0
        ? {
            ...previous,
            num_attempts: previous.num_attempts + 1,
            backends: previous.backends ?? [],
            hosts: previous.hosts ?? [],
          }
        : { num_attempts: 1, backends: [], hosts: [] };
    filterProperties.retry = retry;
    if (decision) {
      decision.attempt = retry.num_attempts;
      decision.tried = [...retry.backends];
    }

    const resourceId = requestSpec.volume_id ?? requestSpec.group_id ?? 'None';
    // NOTE: the previous attempt's failure is logged once, then dropped from the retry info.
    const exc = retry.exc;
    delete retry.exc;
    const last = retry.backends.at(-1);
    if (exc && last) {
      this.#log?.error(
        { volumeId: resourceId, lastBackend: last, exc },
        'Error scheduling volume from last vol-service.',
      );
    }
    if (retry.num_attempts > this.#maxAttempts) {
      throw new NoValidBackend(
        `Exceeded max scheduling attempts ${this.#maxAttempts} for resource ${resourceId}`,
      );
    }
  }
}

/**
 * Keep only candidates on `resourceBackend` (the group's, snapshot's or source volume's
 * backend): compared at `host@backend` level unless `resourceBackend` names a pool.
 */
export function restrictToResourceBackend(
  candidates: WeighedBackend[],
  resourceBackend: string | null | undefined,
): WeighedBackend[] {
  if (!resourceBackend) return candidates;
  const withPool = Boolean(extractHost(resourceBackend, 'pool'));
  return candidates.filter(({ obj }) => {
    const id = withPool ? obj.backend_id : extractHost(obj.backend_id);
    return id === resourceBackend;
  });
}

/** Resource kind and id for error messages: the first of volume, group, snapshot that is set. */
function describeResource(spec: RequestSpec): [string, string] {
  for (const [kind, id] of [
    ['volume', spec.volume_id],
    ['group', spec.group_id],
    ['snapshot', spec.snapshot_id],
  ] as const) {
    if (id) return [kind, id];
  }
  return ['volume', '??id missing??'];
}
