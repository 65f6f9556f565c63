/**
 * AllocatedCapacityWeigher: weighs pools by the capacity Cinder has allocated there. With the
 * default multiplier (-1.0) the least allocated pool wins, like the old SimpleScheduler.
 */
import type { PoolState } from '../pool-state.js';
import { BaseWeigher } from './backend-weigher.js';

/** Weight = `allocated_capacity_gb`. */
export class AllocatedCapacityWeigher extends BaseWeigher {
  readonly name: string = 'AllocatedCapacityWeigher';
  readonly #multiplier: number;

  /** @param multiplier `allocated_capacity_weight_multiplier` (default -1.0) */
  constructor(multiplier = -1.0) {
    super();
    this.#multiplier = multiplier;
  }

  override weightMultiplier(): number {
    return this.#multiplier;
  }

  protected weighObject(backend: PoolState): number {
    return backend.allocated_capacity_gb;
  }
}
