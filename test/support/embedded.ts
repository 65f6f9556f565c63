import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { MemorySink } from '../../src/notify/notifier.js';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../src/service/embedded.js';

/** An embedded Kindling on a throwaway state dir, with helpers to talk to it like a client. */
export interface TestKindling {
  readonly k: Embedded;
  readonly stateDir: string;
  readonly notifications: MemorySink;
  /** JSON request as `admin:admin` (override headers to act as someone else). */
  req(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Polls a volume until its status is one of `statuses` (or fails after `ms`). */
  waitForStatus(id: string, statuses: string[], ms?: number): Promise<any>;
  close(): Promise<void>;
}

/**
 * Starts Kindling in-process. `env` takes the same variables as `npm start`
 * (`KINDLING__<section>__<option>` for anything in cinder.conf).
 */
export async function startTestKindling(
  env: Record<string, string> = {},
  opts: Omit<EmbeddedOptions, 'log' | 'notifications'> = {},
): Promise<TestKindling> {
  const stateDir = mkdtempSync(join(tmpdir(), 'kindling-test-'));
  const config = loadConfig({ env: { KINDLING_STATE_DIR: stateDir, ...env } });
  const notifications = new MemorySink();
  const k = await startEmbedded(config, {
    ...opts,
    notifications,
    log: pino({ level: process.env.KINDLING_TEST_LOG ?? 'silent' }),
  });
  const req: TestKindling['req'] = async (method, url, body, headers = {}) => {
    const res = await k.app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-auth-token': 'admin:admin', 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      // not JSON
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };
  const waitForStatus: TestKindling['waitForStatus'] = async (id, statuses, ms = 5000) => {
    const end = Date.now() + ms;
    for (;;) {
      const r = await req('GET', `/v3/admin/volumes/${id}`);
      if (r.status === 200 && statuses.includes(r.body.volume.status)) return r.body.volume;
      if (Date.now() > end)
        throw new Error(`volume ${id} did not reach ${statuses.join('|')}: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 10));
    }
  };
  return {
    k,
    stateDir,
    notifications,
    req,
    waitForStatus,
    async close() {
      await k.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
