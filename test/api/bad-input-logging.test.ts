/**
 * Operators see what happened (issue 11, item 11): one INFO access line per request (method,
 * path, status, ms, request id), a 500 logged with its stack and request id, and the request id
 * on every line a request causes — the API's, the scheduler's, the volume and backup services'
 * (across RPC) — and on its notifications (`_context_request_id`). Embedded: a Kindling built
 * with the service logger writing into memory; distributed: the processes' own output, at debug.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/service/core.js';
import { startEmbedded, type Embedded } from '../../src/service/embedded.js';
import { injectRequest } from '../support/http-request.js';
import { NotificationLog, TEST_MODE, onlyIn, waitFor, waitForPools } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';
import type { TestKindling } from '../support/types.js';

type LogLine = Record<string, any>;

/** A test Kindling whose service logs (debug and up) can be read back as parsed lines. */
interface LoggedKindling {
  k: TestKindling;
  lines: () => LogLine[];
}

function parseLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const l of text.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as LogLine);
    } catch {
      // a line cut by the process's exit
    }
  }
  return out;
}

async function startLogged(t: { after(fn: () => Promise<void>): void }): Promise<LoggedKindling> {
  if (TEST_MODE === 'distributed') {
    const k = await startForTest(t, { KINDLING__DEFAULT__debug: 'true' });
    return { k, lines: () => parseLines(k.logs()) };
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'kindling-logging-'));
  const config = loadConfig({ env: { KINDLING_STATE_DIR: stateDir, KINDLING__DEFAULT__debug: 'true' } });
  let text = '';
  const sink = { write: (s: string) => void (text += s) } as unknown as Writable;
  const notifications = new NotificationLog();
  const embedded: Embedded = await startEmbedded(config, { log: createLogger(config, sink), notifications });
  const k = {
    mode: 'embedded',
    stateDir,
    db: embedded.core.dbh.db,
    notifications,
    core: embedded.core,
    app: embedded.app,
    embedded,
    cluster: undefined,
    req: (method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
      injectRequest(embedded.app, method, url, body, headers),
    logs: () => text,
    close: async () => {
      await embedded.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  } satisfies TestKindling;
  t.after(() => k.close());
  await waitForPools(k);
  return { k, lines: () => parseLines(text) };
}

async function waitForStatus(k: TestKindling, url: string, key: string, status: string): Promise<void> {
  await waitFor(async () => (await k.req('GET', url)).body?.[key]?.status === status, 60_000);
}

test('item 11: one INFO access line per request, with method, path, status, ms and request id', async (t) => {
  const { k, lines } = await startLogged(t);
  const list = await k.req('GET', '/v3/admin/volumes?limit=1');
  const missing = await k.req('GET', '/v3/admin/volumes/nope');
  const bad = await k.req('POST', '/v3/admin/volumes', '{"volume": ');
  const badUrl = await k.req('GET', '/v3/admin/volumes/%zz');
  for (const [r, method, path, status] of [
    [list, 'GET', '/v3/admin/volumes?limit=1', 200],
    [missing, 'GET', '/v3/admin/volumes/nope', 404],
    [bad, 'POST', '/v3/admin/volumes', 400],
    [badUrl, 'GET', '/v3/admin/volumes/%zz', 400],
  ] as const) {
    const id = r.headers['x-openstack-request-id'];
    const line = await waitFor(async () =>
      lines().find((l) => l.request_id === id && l.status !== undefined && l.method !== undefined),
    );
    assert.equal(line.level, 30, JSON.stringify(line));
    assert.equal(line.method, method);
    assert.equal(line.path, path);
    assert.equal(line.status, status);
    assert.equal(typeof line.ms, 'number');
    assert.match(line.msg, new RegExp(`"${method} ${path.replace('?', '\\?')} HTTP/1.1" status: ${status} `));
    assert.equal(lines().filter((l) => l.request_id === id && l.status !== undefined).length, 1);
  }
});

test('item 11: the request id is on every line a create and a backup cause, in every service, and on their notifications', async (t) => {
  const { k, lines } = await startLogged(t);
  const created = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, name: 'logged' } });
  assert.equal(created.status, 202, created.text);
  const createId = created.headers['x-openstack-request-id'] as string;
  const volumeId = created.body.volume.id as string;
  await waitForStatus(k, `/v3/admin/volumes/${volumeId}`, 'volume', 'available');

  const backedUp = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: volumeId } });
  assert.equal(backedUp.status, 202, backedUp.text);
  const backupId = backedUp.body.backup.id as string;
  const backupRequest = backedUp.headers['x-openstack-request-id'] as string;
  await waitForStatus(k, `/v3/admin/backups/${backupId}`, 'backup', 'available');
  await waitForStatus(k, `/v3/admin/volumes/${volumeId}`, 'volume', 'available');

  // The create's lines: from the API, the scheduler and the volume service (distributed: three
  // processes), all with the request id.
  const ofCreate = lines().filter((l) => l.request_id === createId);
  const flows = new Set(ofCreate.map((l) => l.flow).filter(Boolean));
  for (const flow of ['volume:create_api', 'volume:create_scheduler', 'volume:create_manager'])
    assert.ok(flows.has(flow), `no ${flow} line with request_id ${createId}: ${[...flows].join(', ')}`);
  const ofBackup = lines().filter((l) => l.request_id === backupRequest);
  assert.ok(
    ofBackup.some((l) => l.level === 30 && l.status === 202),
    'the backup request has its access line',
  );
  assert.ok(
    ofBackup.some((l) => l.status === undefined),
    `the backup service's lines carry the request id:\n${ofBackup.map((l) => JSON.stringify(l)).join('\n')}`,
  );

  // Every line about the volume or the backup names the request that caused it (the access
  // lines of the test's own polling requests aside).
  for (const l of lines()) {
    if (l.path !== undefined && l.request_id !== createId && l.request_id !== backupRequest) continue;
    const text = JSON.stringify(l);
    if (text.includes(backupId)) assert.equal(l.request_id, backupRequest, text);
    else if (text.includes(volumeId))
      assert.ok(l.request_id === createId || l.request_id === backupRequest, text);
  }

  // Notifications carry it as oslo.messaging does.
  for (const [event, id] of [
    ['volume.create.start', createId],
    ['volume.create.end', createId],
    ['backup.create.start', backupRequest],
    ['backup.create.end', backupRequest],
  ] as const) {
    const n = await k.notifications.waitFor(
      (x) =>
        x.event_type === event &&
        JSON.stringify(x.payload).includes(event.startsWith('volume') ? volumeId : backupId),
    );
    assert.equal((n as unknown as Record<string, unknown>)._context_request_id, id, event);
  }
});

test(
  'item 11: an unhandled error (a 500) is logged with its stack and the request id',
  { skip: onlyIn('embedded', 'breaks a dependency of the API in-process') },
  async (t) => {
    const { k, lines } = await startLogged(t);
    const quotas = k.embedded.core.quotas as unknown as { reserve: () => never };
    quotas.reserve = () => {
      throw new Error('boom: the quota engine is gone');
    };
    const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1 } });
    assert.equal(r.status, 500, r.text);
    assert.deepEqual(Object.keys(r.body), ['computeFault']);
    const id = r.headers['x-openstack-request-id'];
    const line = lines().find((l) => l.level === 50 && l.request_id === id);
    assert.ok(line, `no error line for ${String(id)}:\n${k.logs()}`);
    assert.match(line.err.stack, /boom: the quota engine is gone\n\s+at /);
    assert.match(line.msg, /POST \/v3\/admin\/volumes/);
    // ...and its access line says 500.
    assert.ok(lines().some((l) => l.request_id === id && l.status === 500 && l.level === 30));
  },
);
