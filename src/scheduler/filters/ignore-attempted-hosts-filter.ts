/**
 * IgnoreAttemptedHostsFilter: on a reschedule, skips the pools already tried (only when
 * configured; Zed has no RetryFilter and does not exclude them by default).
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties } from '../types.js';
import type { BackendFilter, RejectReason } from './backend-filter.js';

/** Fails pools whose backend id is in `retry.backends` (or legacy `retry.hosts`). */
export class IgnoreAttemptedHostsFilter implements BackendFilter {
  readonly name = 'IgnoreAttemptedHostsFilter';
  readonly runFilterOncePerRequest = false;

  backendPasses(backend: PoolState, filterProperties: FilterProperties, reject?: RejectReason): boolean {
    const retry = filterProperties.retry;
    // NOTE: no retry info means rescheduling is disabled: nothing to ignore.
    if (!retry) return true;
    const attempted = retry.backends ?? retry.hosts ?? [];
    if (!attempted.includes(backend.backend_id)) return true;
    reject?.('already tried by an earlier attempt');
    return false;
  }
}
