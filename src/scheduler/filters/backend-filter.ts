/**
 * The filter contract and the handler that runs a chain of filters (Cinder's
 * `BaseBackendFilter` and `BackendFilterHandler.get_filtered_objects`).
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties } from '../types.js';

/** A scheduler filter: decides, pool by pool, whether a request may land there. */
export interface BackendFilter {
  /** Cinder's class name, as listed in `scheduler_default_filters`. */
  readonly name: string;
  /** True when the answer cannot change between pools of one request (AZ filter). */
  readonly runFilterOncePerRequest: boolean;
  /** Whether `backend` can take the request described by `filterProperties`. */
  backendPasses(backend: PoolState, filterProperties: FilterProperties): boolean;
}

/**
 * Run `filters` in order over `backends`; each filter sees only the survivors of the previous
 * one. `index` is the position of the resource in a multi-resource request: filters marked
 * `runFilterOncePerRequest` only run for index 0.
 */
export function getFilteredObjects(
  filters: readonly BackendFilter[],
  backends: readonly PoolState[],
  filterProperties: FilterProperties,
  index = 0,
): PoolState[] {
  let remaining = [...backends];
  for (const filter of filters) {
    if (filter.runFilterOncePerRequest && index > 0) continue;
    remaining = remaining.filter((b) => filter.backendPasses(b, filterProperties));
  }
  return remaining;
}
