/**
 * CapacityWeigher (Cinder's `scheduler/weights/capacity.py`): prefers pools with the most virtual free capacity
 * (spread); a negative `capacity_weight_multiplier` stacks instead.
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties } from '../types.js';
import { calculateVirtualFreeCapacity, isInfiniteOrUnknown, isThinRequest } from '../capacity.js';
import { BaseWeigher, type WeighResult } from './backend-weigher.js';

/** Offset added above the largest finite weight when there is no spread to scale from. */
const OFFSET_MIN = 10000;
/** Infinite weights become `max + (max - min) × OFFSET_MULT`. */
const OFFSET_MULT = 100;

/** Weighs pools by virtual free capacity (thick types: by actual free capacity). */
export class CapacityWeigher extends BaseWeigher {
  readonly name: string = 'CapacityWeigher';
  readonly #multiplier: number;

  /** @param multiplier `capacity_weight_multiplier` (default 1.0) */
  constructor(multiplier = 1.0) {
    super();
    this.#multiplier = multiplier;
  }

  override weightMultiplier(): number {
    return this.#multiplier;
  }

  protected weighObject(backend: PoolState, weightProperties: FilterProperties): number {
    const free = backend.free_capacity_gb;
    const total = backend.total_capacity_gb;
    if (isInfiniteOrUnknown(free) || isInfiniteOrUnknown(total)) {
      // NOTE: infinite/unknown capacity gets the lowest weight when spreading, to discourage
      // drivers from reporting it; when stacking it is +∞, fixed up in weighObjects.
      return this.#multiplier > 0 ? -1 : Infinity;
    }
    return calculateVirtualFreeCapacity({
      total,
      free: free ?? 0,
      provisioned: backend.provisioned_capacity_gb,
      thinSupport: backend.thin_provisioning_support,
      maxOverSubscriptionRatio: backend.max_over_subscription_ratio,
      reservedPercentage: backend.reserved_percentage,
      thin: isThinRequest(weightProperties.volume_type),
    });
  }

  /** Raw weights, with +∞ replaced by a value safely above every finite weight. */
  override weighObjects(backends: readonly PoolState[], weightProperties: FilterProperties): WeighResult {
    const result = super.weighObjects(backends, weightProperties);
    if (result.maxval !== Infinity) return result;
    const finite = result.weights.filter((w) => w !== Infinity);
    if (finite.length === 0) {
      // NOTE: every pool is infinite/unknown: they are all equal (Cinder raises here).
      return { weights: result.weights.map(() => 0), minval: 0, maxval: 0 };
    }
    const minval = Math.min(...finite);
    let maxval = Math.max(...finite);
    const offset = (maxval - minval) * OFFSET_MULT;
    maxval += offset === 0 ? OFFSET_MIN : offset;
    const weights = result.weights.map((w) => (w === Infinity ? maxval : w));
    return { weights, minval, maxval };
  }
}
