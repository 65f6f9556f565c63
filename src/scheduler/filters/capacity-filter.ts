/**
 * CapacityFilter (Cinder's `scheduler/filters/capacity_filter.py`): keeps pools with room for the requested size, taking
 * reserved space, thin provisioning and the max over-subscription ratio into account.
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties, SchedulerLogger } from '../types.js';
import { calculateCapacityFactors, isInfiniteOrUnknown, isThinRequest } from '../capacity.js';
import type { BackendFilter, RejectReason } from './backend-filter.js';

/** Size the request needs: `new_size - size` for an extend, else `size` (0 when absent). */
export function requestedSize(filterProperties: FilterProperties): number {
  const size = Math.trunc(Number(filterProperties.size ?? 0));
  if (filterProperties.new_size) return Math.trunc(Number(filterProperties.new_size)) - size;
  // NOTE: a missing size (get_pools filtering by type) is treated like a manage request (0).
  return size;
}

/**
 * Passes pools that can hold the requested size: the volume's own backend (retype) and manage
 * requests always; pools reporting `infinite`/`unknown` free space always; a thin request on a
 * thin pool while the provisioned ratio stays within `max_over_subscription_ratio` and the
 * virtual free capacity holds it; any other request when the free space less the reserved share
 * holds it (Cinder's `CapacityFilter.backend_passes`).
 */
export class CapacityFilter implements BackendFilter {
  readonly name = 'CapacityFilter';
  readonly runFilterOncePerRequest = false;
  readonly #log: SchedulerLogger | undefined;

  constructor(logger?: SchedulerLogger) {
    this.#log = logger;
  }

  backendPasses(backend: PoolState, filterProperties: FilterProperties, reject?: RejectReason): boolean {
    // NOTE: the volume already lives here (retype): never fail it for lack of space.
    if (backend.backend_id === filterProperties.vol_exists_on) return true;
    const requested = requestedSize(filterProperties);
    // NOTE: 0 means a manage request: nothing to allocate.
    if (requested === 0) return true;

    const free = backend.free_capacity_gb;
    const total = backend.total_capacity_gb;
    if (free === null) {
      this.#log?.error(
        { backend: backend.backend_id },
        'Free capacity not set: volume node info collection broken.',
      );
      reject?.('free capacity not reported');
      return false;
    }
    // NOTE: backends that cannot tell are assumed to fit; a reschedule catches the failure.
    if (isInfiniteOrUnknown(free)) return true;
    if (isInfiniteOrUnknown(total)) {
      if (backend.reserved_percentage === 0) return true;
      reject?.(`total capacity ${total} with ${backend.reserved_percentage}% reserved`);
      return false;
    }
    if (total <= 0) {
      this.#log?.warn(
        { backend: backend.backend_id, total },
        'Insufficient free space for volume creation: total capacity is not positive.',
      );
      reject?.(`total capacity is ${total} GiB`);
      return false;
    }

    const thin = isThinRequest(filterProperties.volume_type);
    const thinSupport = backend.thin_provisioning_support;
    const mosr = backend.max_over_subscription_ratio;
    const factors = calculateCapacityFactors({
      total,
      free,
      provisioned: backend.provisioned_capacity_gb,
      thinSupport,
      maxOverSubscriptionRatio: thinSupport ? mosr : 1,
      reservedPercentage: backend.reserved_percentage,
      thin,
    });
    const virtualFree = factors.virtual_free_capacity;

    if (thin && thinSupport && mosr >= 1) {
      const provisionedRatio =
        (backend.provisioned_capacity_gb + requested) / factors.total_available_capacity;
      if (provisionedRatio > mosr) {
        this.#log?.warn(
          { backend: backend.backend_id, provisionedRatio, mosr },
          'Insufficient free space for thin provisioning: the provisioned ratio would exceed the maximum over subscription ratio.',
        );
        reject?.(
          `provisioned ratio ${fmt(provisionedRatio)} would exceed max_over_subscription_ratio ${fmt(mosr)} (${requested} GiB requested, ${fmt(backend.provisioned_capacity_gb)} GiB provisioned)`,
        );
        return false;
      }
      return this.#fits(backend, virtualFree, requested, reject);
    }
    if (thin && thinSupport) {
      this.#log?.warn(
        { backend: backend.backend_id, mosr },
        'Filtering out a backend with a maximum over subscription ratio below 1.0.',
      );
      reject?.(`max_over_subscription_ratio ${fmt(mosr)} is below 1.0`);
      return false;
    }
    return this.#fits(backend, virtualFree, requested, reject);
  }

  #fits(backend: PoolState, available: number, requested: number, reject?: RejectReason): boolean {
    const ok = available >= requested;
    if (!ok) {
      this.#log?.warn(
        { backend: backend.backend_id, requested, available },
        'Insufficient free space for volume creation.',
      );
      reject?.(`insufficient free space: ${requested} GiB requested, ${fmt(available)} GiB available`);
    }
    return ok;
  }
}

/** A capacity figure for a reason text: at most two decimals. */
function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
