/**
 * What the FilterScheduler decided for one request, and why: the pools it started from, what each
 * filter removed (with the filter's reason, pool by pool), the weights of the survivors and the
 * pool chosen. Filled in while scheduling (filter-scheduler.ts), logged at INFO in one line,
 * kept in the volume's flow trace (src/flow-trace/listener.ts) and summed up, without pool names,
 * in the user message of a volume that found no backend.
 *
 * Cinder logs the same facts piecemeal (each filter's reasons at debug, `Filtering removed all
 * hosts for the request with volume ID '<id>'. Filter results: <filter>: (start: n, end: m), …` at
 * INFO when nothing is left, `Choosing <backend>` at debug); Kindling keeps Cinder's texts where
 * they exist (`cinderFilterResults`) and adds the pools and reasons.
 */
import { currentRequestId } from '../common/request-scope.js';
import { formatTimestamp } from '../common/time.js';
import type { RequestSpec, SchedulerLogger } from './types.js';

/** A pool a filter (or the final claim) removed, and why. */
export interface RemovedPool {
  /** `host@backend#pool` (`cluster@backend#pool` when clustered). */
  pool: string;
  reason: string;
}

/** One filter's pass: how many pools it saw and kept, and the ones it removed. */
export interface FilterReport {
  filter: string;
  start: number;
  end: number;
  removed: RemovedPool[];
}

/** A surviving pool and its total weight. */
export interface PoolWeight {
  pool: string;
  weight: number;
}

/** One scheduling decision (JSON: it goes to the log, the trace table and the API as it is). */
export interface SchedulerDecision {
  /** `create_volume`, `backend_passes_filters` (snapshots, migrations) or `weighed_candidates`. */
  operation: string;
  request_id: string | null;
  /** The resource being placed (a volume's id for creates). */
  volume_id: string | null;
  size: number | null;
  /** The requested volume type's name (or id), null when none. */
  volume_type: string | null;
  /** Attempt number (1 for the first; more after reschedules), null when retries are off. */
  attempt: number | null;
  /** Backends already tried by earlier attempts. */
  tried: string[];
  /** The pools of up, enabled volume services the filters started from. */
  pools: string[];
  filters: FilterReport[];
  /** Surviving pools, best first (at most `MAX_WEIGHTS`). */
  weights: PoolWeight[];
  /** Pools passed over after weighing: not the resource's backend, full in the database. */
  skipped: RemovedPool[];
  /** `host@backend#pool`, or null when nothing fit. */
  chosen: string | null;
  /** The NoValidBackend (or other) message when nothing was chosen. */
  error: string | null;
  /** When the decision was made (UTC, as the API shows times). */
  at: string;
}

/** How many weighed pools a decision keeps (the log line shows fewer). */
export const MAX_WEIGHTS = 10;
/** How many weighed pools the log line shows. */
const LOGGED_WEIGHTS = 3;

/** An empty decision for `spec` (request id from the running request, if any). */
export function newDecision(
  operation: string,
  spec: RequestSpec | null,
  requestId?: string | null,
): SchedulerDecision {
  const type = spec?.volume_type;
  return {
    operation,
    request_id: requestId ?? currentRequestId() ?? null,
    volume_id: spec?.volume_id ?? spec?.group_id ?? spec?.snapshot_id ?? null,
    size: spec?.volume_properties?.size ?? null,
    volume_type: type ? String(type.name ?? type.id ?? '') || null : null,
    attempt: null,
    tried: [],
    pools: [],
    filters: [],
    weights: [],
    skipped: [],
    chosen: null,
    error: null,
    at: formatTimestamp(new Date()),
  };
}

/**
 * Cinder's summary of a filter run (base_filter.py `_log_filtration`), e.g.
 * `AvailabilityZoneFilter: (start: 2, end: 2), CapacityFilter: (start: 2, end: 0)`.
 */
export function cinderFilterResults(d: SchedulerDecision): string {
  return d.filters.map((f) => `${f.filter}: (start: ${f.start}, end: ${f.end})`).join(', ');
}

/** The filters that removed every pool left to them (the ones to blame when nothing fit). */
export function failingFilters(d: SchedulerDecision): string[] {
  return d.filters.filter((f) => f.start > 0 && f.end === 0).map((f) => f.filter);
}

/**
 * The text added after Cinder's detail in the user message of a volume that found no backend:
 * the NoValidBackend message and Cinder's filter results. No pool or host names: the message is
 * the project's to read; the pools and reasons are in the admin-only trace and the log.
 */
export function userMessageDetail(d: SchedulerDecision | null, error: string): string {
  const parts = [error.endsWith('.') ? error : `${error}.`];
  if (d && d.filters.length > 0) {
    parts.push(`Filter results: ${cinderFilterResults(d)}.`);
    const failing = failingFilters(d);
    if (failing.length > 0) parts.push(`Removed all backends: ${failing.join(', ')}.`);
  } else if (d && d.pools.length === 0 && d.error?.includes('No weighed backends')) {
    parts.push('No volume service is up and has reported its capabilities.');
  }
  return parts.join(' ');
}

function shortNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3);
}

/** The decision as one human-readable line (the structured fields go with it in the log). */
export function decisionLine(d: SchedulerDecision): string {
  const what = d.volume_id ? `volume ${d.volume_id}` : 'request';
  const head = d.chosen
    ? `Scheduler chose ${d.chosen} for ${what}`
    : `Scheduler found no backend for ${what}: ${d.error ?? 'nothing chosen'}`;
  const parts = [head];
  if (d.attempt !== null && d.attempt > 1)
    parts.push(`attempt ${d.attempt} (tried ${d.tried.join(', ') || 'none'})`);
  parts.push(`size ${d.size ?? '?'} GiB, type ${d.volume_type ?? 'none'}, ${d.pools.length} pool(s)`);
  if (d.filters.length > 0) {
    const filters = d.filters.map((f) => {
      const removed = f.removed.map((r) => `${r.pool}: ${r.reason}`).join('; ');
      return `${f.filter} ${f.start}->${f.end}${removed ? ` [${removed}]` : ''}`;
    });
    parts.push(`filters: ${filters.join(', ')}`);
  }
  if (d.weights.length > 0) {
    const top = d.weights.slice(0, LOGGED_WEIGHTS).map((w) => `${w.pool}=${shortNumber(w.weight)}`);
    const more = d.weights.length > LOGGED_WEIGHTS ? ` (+${d.weights.length - LOGGED_WEIGHTS})` : '';
    parts.push(`weights: ${top.join(', ')}${more}`);
  }
  if (d.skipped.length > 0)
    parts.push(`skipped: ${d.skipped.map((s) => `${s.pool}: ${s.reason}`).join('; ')}`);
  return parts.join('; ');
}

/** Logs the decision at INFO: one line, with the decision's fields alongside. */
export function logDecision(log: SchedulerLogger | undefined, d: SchedulerDecision): void {
  log?.info(
    {
      request_id: d.request_id,
      volume_id: d.volume_id,
      chosen: d.chosen,
      filters: d.filters.map((f) => ({ filter: f.filter, start: f.start, end: f.end, removed: f.removed })),
      weights: d.weights.slice(0, LOGGED_WEIGHTS),
    },
    decisionLine(d),
  );
}
