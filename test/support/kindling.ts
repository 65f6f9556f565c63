/**
 * Shared helpers for the API and spine tests: an embedded Kindling on a temporary state dir, driven through
 * `app.inject` (no sockets), with JSON requests sent as the noauth admin by default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import type { CoreDeps } from '../../src/common/deps.js';
import { MemorySink } from '../../src/notify/notifier.js';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../src/service/embedded.js';

/** What one injected request answered. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** Parsed JSON body, or `undefined` when the body is empty or not JSON. */
  body: any;
  /** The raw body text. */
  text: string;
}

/** A running test Kindling. */
export interface TestKindling {
  app: FastifyInstance;
  core: CoreDeps;
  embedded: Embedded;
  stateDir: string;
  /** Every notification emitted, in order. */
  notifications: MemorySink;
  /** Sends one request; `X-Auth-Token: admin:admin` and JSON unless `headers` say otherwise. */
  req(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** Stops every service and removes the state dir. */
  close(): Promise<void>;
}

/** Options of {@link startTestKindling}. */
export interface StartOptions {
  /** Wait until the scheduler lists the backends' pools (default true when a backend is enabled). */
  waitForPools?: boolean;
  /** Replaces backends' drivers (to inject failures). */
  driverFactory?: EmbeddedOptions['driverFactory'];
}

/**
 * Starts an embedded Kindling on a fresh temp state dir (`envOverrides` as `KINDLING_*` env,
 * e.g. `KINDLING__DEFAULT__host`), ready to schedule: its backends' pools are known.
 */
export async function startTestKindling(
  envOverrides: Record<string, string> = {},
  opts: StartOptions = {},
): Promise<TestKindling> {
  const stateDir = await mkdtemp(join(tmpdir(), 'kindling-api-'));
  const config = loadConfig({ env: { KINDLING_STATE_DIR: stateDir, ...envOverrides } });
  const notifications = new MemorySink();
  const embedded = await startEmbedded(config, {
    log: pino({ level: process.env.KINDLING_TEST_LOG ?? 'silent' }),
    notifications,
    ...(opts.driverFactory ? { driverFactory: opts.driverFactory } : {}),
  });
  const app = embedded.app;
  const k: TestKindling = {
    app,
    core: embedded.core,
    embedded,
    stateDir,
    notifications,
    async req(method, url, body, headers = {}) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: {
          'x-auth-token': 'admin:admin',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      let parsed: unknown;
      try {
        parsed = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body: parsed, text: res.body };
    },
    async close() {
      await embedded.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  if (opts.waitForPools ?? Object.keys(config.backends).length > 0) {
    try {
      await waitForPools(k);
    } catch (e) {
      await k.close();
      throw e;
    }
  }
  return k;
}

/** The `OpenStack-API-Version` header for microversion `v`. */
export function mv(v: string): Record<string, string> {
  return { 'openstack-api-version': `volume ${v}` };
}

/** Polls `fn` every 20 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls a volume until its status is one of `statuses`; returns the volume view. */
export async function waitForVolumeStatus(
  k: TestKindling,
  id: string,
  statuses: readonly string[],
  timeoutMs = 10_000,
): Promise<any> {
  return waitFor(async () => {
    const r = await k.req('GET', `/v3/volumes/${id}`);
    return statuses.includes(r.body?.volume?.status) ? r.body.volume : null;
  }, timeoutMs);
}

/** Waits until the scheduler has heard from the volume services (their pools are listed). */
export async function waitForPools(k: TestKindling, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () => ((await k.req('GET', '/v3/scheduler-stats/get_pools')).body?.pools?.length ?? 0) > 0,
    timeoutMs,
  );
}
