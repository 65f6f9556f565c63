/**
 * The filter contract and the handler that runs a chain of filters (Cinder's
 * `BaseBackendFilter` and `BackendFilterHandler.get_filtered_objects`).
 */
import type { FilterReport } from '../decision.js';
import type { PoolState } from '../pool-state.js';
import type { FilterProperties } from '../types.js';

/** Told why a pool fails a filter (the reason goes to the scheduler's decision). */
export type RejectReason = (reason: string) => void;

/** A scheduler filter: decides, pool by pool, whether a request may land there. */
export interface BackendFilter {
  /** Cinder's class name, as listed in `scheduler_default_filters`. */
  readonly name: string;
  /** True when the answer cannot change between pools of one request (AZ filter). */
  readonly runFilterOncePerRequest: boolean;
  /**
   * Whether `backend` can take the request described by `filterProperties`; when it cannot, the
   * filter may say why through `reject` (once, before returning false).
   */
  backendPasses(backend: PoolState, filterProperties: FilterProperties, reject?: RejectReason): boolean;
}

/**
 * Run `filters` in order over `backends`; each filter sees only the survivors of the previous
 * one. `index` is the position of the resource in a multi-resource request: filters marked
 * `runFilterOncePerRequest` only run for index 0. With `report`, each filter's pass is appended
 * to it: pools seen and kept, and every pool removed with the filter's reason.
 */
export function getFilteredObjects(
  filters: readonly BackendFilter[],
  backends: readonly PoolState[],
  filterProperties: FilterProperties,
  index = 0,
  report?: FilterReport[],
): PoolState[] {
  let remaining = [...backends];
  for (const filter of filters) {
    if (filter.runFilterOncePerRequest && index > 0) continue;
    if (!report) {
      remaining = remaining.filter((b) => filter.backendPasses(b, filterProperties));
      continue;
    }
    const entry: FilterReport = { filter: filter.name, start: remaining.length, end: 0, removed: [] };
    remaining = remaining.filter((b) => {
      let reason: string | null = null;
      const ok = filter.backendPasses(b, filterProperties, (r) => {
        reason ??= r;
      });
      if (!ok) entry.removed.push({ pool: b.backend_id, reason: reason ?? 'did not pass' });
      return ok;
    });
    entry.end = remaining.length;
    report.push(entry);
  }
  return remaining;
}
