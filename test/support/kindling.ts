/**
 * Shared helpers for the API and spine tests: a Kindling for one test, in the mode
 * `KINDLING_TEST_MODE` names:
 * - `embedded` (default): every service in this process on a temporary state dir (SQLite,
 *   in-process bus), requests through `app.inject` (no sockets);
 * - `distributed`: `kindling api`, `scheduler` and one `volume` process per enabled backend as
 *   separate OS processes on PostgreSQL and RabbitMQ, requests over HTTP; the processes of a test
 *   file are reused from test to test on a restored database (see distributed-kindling.ts). It
 *   fails, loudly, when either server is unreachable.
 * JSON requests go as the noauth admin by default; responses have the same shape in both modes.
 */
import { after } from 'node:test';
import { startDistributedKindling, stopAllDeployments } from './distributed-kindling.js';
import { startEmbeddedKindling } from './embedded-kindling.js';
import { TEST_MODE, WAIT_MS } from './test-mode.js';
import type { StartOptions, TestKindling, TestMode } from './types.js';
import { waitFor } from './wait.js';

export type { RequestHeaders, StartOptions, TestKindling, TestMode, TestResponse } from './types.js';
export { NotificationLog } from './notification-log.js';
export { TEST_MODE } from './test-mode.js';
export { waitFor, waitForPools } from './wait.js';

// NOTE: registered while the test file is being loaded, so it runs once, after the file's last test.
if (TEST_MODE === 'distributed') after(stopAllDeployments);

/**
 * A test's `skip` option for what cannot run in every mode: false in `mode`, else the reason.
 * E.g. `test('…', { skip: onlyIn('embedded', 'needs …') }, …)`.
 */
export function onlyIn(mode: TestMode, reason: string): string | false {
  return TEST_MODE === mode ? false : `${mode} mode only: ${reason}`;
}

/**
 * Starts a Kindling on fresh state (`envOverrides` as `KINDLING_*` env, e.g.
 * `KINDLING__DEFAULT__host`), ready to schedule: its backends' pools are known.
 */
export function startTestKindling(
  envOverrides: Record<string, string> = {},
  opts: StartOptions = {},
): Promise<TestKindling> {
  return TEST_MODE === 'distributed'
    ? startDistributedKindling(envOverrides, opts)
    : startEmbeddedKindling(envOverrides, opts);
}

/** The `OpenStack-API-Version` header for microversion `v`. */
export function mv(v: string): Record<string, string> {
  return { 'openstack-api-version': `volume ${v}` };
}

/** Polls a volume until its status is one of `statuses`; returns the volume view. */
export async function waitForVolumeStatus(
  k: TestKindling,
  id: string,
  statuses: readonly string[],
  timeoutMs = WAIT_MS,
): Promise<any> {
  let last: unknown;
  try {
    return await waitFor(async () => {
      const r = await k.req('GET', `/v3/volumes/${id}`);
      last = r.body?.volume?.status ?? r.status;
      return statuses.includes(r.body?.volume?.status) ? r.body.volume : null;
    }, timeoutMs);
  } catch {
    const related = k
      .logs()
      .split('\n')
      .filter((l) => l.includes(id) || l.startsWith('=====') || l.includes('"level":50'));
    throw new Error(
      `volume ${id} is ${String(last)}, not ${statuses.join('|')}, after ${timeoutMs} ms\n${related.join('\n').slice(-6000)}`,
    );
  }
}
