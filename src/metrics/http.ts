/** HTTP request metrics: one count and one latency observation per answered request. */
import { httpRequestDuration, httpRequests } from './registry.js';

/** A route pattern for requests no route matched (unknown URLs never become label values). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts one answered request.
 * @param route the route's pattern (`/v3/:project_id/volumes/:id`), never the URL
 */
export function observeHttpRequest(route: string, method: string, code: number, seconds: number): void {
  httpRequests.inc({ route, method, code: String(code) });
  httpRequestDuration.observe({ route, method, status_class: `${Math.floor(code / 100)}xx` }, seconds);
}
