/**
 * `/healthcheck` as a load balancer and an operator see it (docs/operations.md#health-check): 200
 * `OK` while the database answers, the bus is connected and every backend has a volume service
 * up; 503 with the reason when one is not, and 200 again once it is back; 503 `DISABLED BY FILE`
 * while the disable file exists; HEAD, content negotiation and `?detailed` (admins) as oslo's.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { negotiate } from '../../src/api/healthcheck.js';
import { openDatabase } from '../../src/db/connection.js';
import { startVolumeServices } from '../../src/service/volume-services.js';
import { FakeKeystone } from '../auth/fake-keystone.js';
import {
  startTestKindling,
  TEST_MODE,
  waitFor,
  type TestKindling,
  type TestResponse,
} from '../support/kindling.js';

const noToken = { 'x-auth-token': undefined };

function health(k: TestKindling, query = '', headers: Record<string, string | undefined> = {}) {
  return k.req('GET', `/healthcheck${query}`, undefined, { ...noToken, ...headers });
}

/** Polls /healthcheck until it answers `status`; returns that answer. */
async function untilHealth(k: TestKindling, status: number, timeoutMs = 30_000): Promise<TestResponse> {
  let last: TestResponse | undefined;
  try {
    return await waitFor(async () => {
      last = await health(k);
      return last.status === status ? last : null;
    }, timeoutMs);
  } catch {
    throw new Error(`/healthcheck is ${last?.status} ${last?.text}, not ${status}`);
  }
}

async function detailed(k: TestKindling, headers: Record<string, string | undefined> = {}): Promise<any> {
  const r = await health(k, '?detailed', { accept: 'application/json', ...headers });
  return r.body;
}

const classOf = (body: any, cls: string) => body.reasons.find((r: any) => r.class === cls);

async function start(t: TestContext, env: Record<string, string> = {}, fresh = false): Promise<TestKindling> {
  const k = await startTestKindling({ KINDLING__DEFAULT__host: 'hchost', ...env }, { fresh });
  t.after(() => k.close());
  return k;
}

test('healthy: 200 OK without a token, HEAD 204, oslo JSON and HTML, ?detailed with every check', async (t) => {
  const k = await start(t);
  const r = await health(k);
  assert.equal(r.status, 200);
  assert.equal(r.text, 'OK');
  assert.equal(r.headers['content-type'], 'text/plain; charset=UTF-8');
  assert.match(String(r.headers['x-openstack-request-id']), /^req-/);

  const head = await k.req('HEAD', '/healthcheck', undefined, noToken);
  assert.equal(head.status, 204);
  assert.equal(head.text, '');

  const json = await health(k, '', { accept: 'application/json' });
  assert.equal(json.status, 200);
  assert.match(String(json.headers['content-type']), /^application\/json/);
  assert.deepEqual(json.body, { detailed: false, reasons: ['OK'] });
  assert.equal(json.text, '{\n    "detailed": false,\n    "reasons": [\n        "OK"\n    ]\n}');

  const html = await health(k, '', { accept: 'text/html' });
  assert.match(String(html.headers['content-type']), /^text\/html/);
  assert.match(html.text, /<TITLE>Healthcheck Status<\/TITLE>/);
  assert.match(html.text, /<TD>OK<\/TD>/);

  // ?detailed: noauth callers are admins.
  const d = await detailed(k);
  assert.equal(d.detailed, true);
  assert.deepEqual(
    d.reasons.map((x: any) => [x.class, x.reason]),
    [
      ['DisableByFileHealthcheck', 'OK'],
      ['DatabaseHealthcheck', 'OK'],
      ['MessagingHealthcheck', 'OK'],
      ['VolumeServicesHealthcheck', 'OK'],
    ],
  );
  assert.equal(
    classOf(d, 'DisableByFileHealthcheck').details,
    "No 'disable_by_file_path' configuration value specified",
  );
  assert.match(
    classOf(d, 'DatabaseHealthcheck').details,
    TEST_MODE === 'embedded' ? /^sqlite answered SELECT 1/ : /^postgres answered SELECT 1/,
  );
  assert.match(
    classOf(d, 'MessagingHealthcheck').details,
    TEST_MODE === 'embedded' ? /in-process/ : /connected to the message broker \(rabbit\)/,
  );
  assert.match(classOf(d, 'VolumeServicesHealthcheck').details, /hchost@file: 1 up, 0 down/);
  assert.match(d.now, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.match(d.node_version, /^v\d+/);
  const dhtml = await health(k, '?detailed', { accept: 'text/html' });
  assert.match(dhtml.text, /<H1>Server status<\/H1>/);
  assert.match(dhtml.text, /<TD>VolumeServicesHealthcheck<\/TD>/);
  const dtext = await health(k, '?detailed');
  assert.match(dtext.text, /^DatabaseHealthcheck: OK \(/m);
});

test('the Accept header picks the body as oslo (webob) does; text/plain by default', () => {
  assert.equal(negotiate(undefined), 'text/plain');
  assert.equal(negotiate('*/*'), 'text/plain');
  assert.equal(negotiate('application/json'), 'application/json');
  assert.equal(negotiate('application/json;q=0.5, text/html'), 'text/html');
  assert.equal(negotiate('text/*;q=0.3, application/json;q=0.2'), 'text/plain');
  assert.equal(negotiate('image/png'), 'text/plain');
  assert.equal(negotiate('text/plain;q=0, */*;q=0.1'), 'text/html');
});

test('disable_by_file_path: 503 DISABLED BY FILE while the file exists, for draining', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-hc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'healthcheck_disable');
  const k = await start(t, { KINDLING__healthcheck__disable_by_file_path: file });
  assert.equal((await health(k)).status, 200);
  assert.equal(
    classOf(await detailed(k), 'DisableByFileHealthcheck').details,
    `Path '${file}' was not found`,
  );

  await writeFile(file, '');
  const r = await health(k);
  assert.equal(r.status, 503);
  assert.equal(r.text, 'DISABLED BY FILE');
  assert.equal((await k.req('HEAD', '/healthcheck', undefined, noToken)).status, 503);
  assert.deepEqual((await health(k, '', { accept: 'application/json' })).body, {
    detailed: false,
    reasons: ['DISABLED BY FILE'],
  });
  const d = classOf(await detailed(k), 'DisableByFileHealthcheck');
  assert.deepEqual([d.reason, d.details], ['DISABLED BY FILE', `Path '${file}' was found`]);

  await rm(file);
  assert.equal((await health(k)).text, 'OK');
});

test('a volume service that stops heartbeating: 503 after service_down_time, 200 once one is back', async (t) => {
  const k = await start(t, {
    KINDLING__DEFAULT__service_down_time: '3',
    KINDLING__DEFAULT__report_interval: '1',
  });
  await untilHealth(k, 200);
  if (TEST_MODE === 'embedded') {
    await k.embedded.volumeManagers[0]!.stop();
  } else {
    // A crash: no clean stop, the heartbeats just end.
    await k.cluster!.services.get('volume-file')!.stop('SIGKILL');
  }
  const down = await untilHealth(k, 503);
  assert.equal(down.text, 'VOLUME SERVICE DOWN');
  const v = classOf(await detailed(k), 'VolumeServicesHealthcheck');
  assert.equal(v.reason, 'VOLUME SERVICE DOWN');
  assert.match(v.details, /no volume service up \(service_down_time 3 s\) for hchost@file/);
  assert.equal((await k.req('HEAD', '/healthcheck', undefined, noToken)).status, 503);

  if (TEST_MODE === 'embedded') {
    const again = await startVolumeServices(k.core, ['file']);
    t.after(async () => {
      for (const m of again) await m.stop();
    });
  } else {
    await k.cluster!.startVolume('file');
  }
  assert.equal((await untilHealth(k, 200)).text, 'OK');
});

test('the database gone: 503 DATABASE UNAVAILABLE, 200 again once it answers', async (t) => {
  const k = await start(t, {}, true);
  await untilHealth(k, 200);
  if (TEST_MODE === 'embedded') {
    // SQLite in the process: closing it is the database going away (for good).
    await k.core.dbh.close();
    const r = await health(k);
    assert.equal(r.status, 503);
    assert.equal(r.text, 'DATABASE UNAVAILABLE\nVOLUME SERVICES UNKNOWN');
    const d = await detailed(k);
    assert.equal(classOf(d, 'DatabaseHealthcheck').reason, 'DATABASE UNAVAILABLE');
    assert.match(classOf(d, 'DatabaseHealthcheck').details, /^sqlite: /);
    return;
  }
  // PostgreSQL refuses every connection to the deployment's database and drops those it had.
  const url = new URL(k.core.config.database.connection);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = await openDatabase(url.toString());
  const allow = (on: boolean) =>
    sql`ALTER DATABASE ${sql.id(name)} WITH ALLOW_CONNECTIONS ${sql.raw(String(on))}`.execute(admin.db);
  try {
    await allow(false);
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`.execute(
      admin.db,
    );
    const down = await untilHealth(k, 503);
    assert.equal(down.text, 'DATABASE UNAVAILABLE\nVOLUME SERVICES UNKNOWN');
    // A pooled connection that was dropped answers "Connection terminated" once;
    // the next try to connect meets the refusal, which is what stays.
    let details = '';
    await waitFor(async () => {
      details = classOf(await detailed(k), 'DatabaseHealthcheck').details;
      return /not currently accepting connections/.test(details) || null;
    }, 15_000).catch(() => undefined);
    assert.match(details, /^postgres: .*not currently accepting connections/);
  } finally {
    await allow(true);
    await admin.close();
  }
  assert.equal((await untilHealth(k, 200)).text, 'OK');
});

test('keystone mode: /healthcheck is open, ?detailed needs an admin token', async (t) => {
  const ks = await new FakeKeystone().start();
  t.after(() => ks.stop());
  const k = await startTestKindling(
    {
      KINDLING__DEFAULT__host: 'hchost',
      KINDLING__DEFAULT__auth_strategy: 'keystone',
      KINDLING__keystone_authtoken__auth_url: `${ks.url}/v3`,
      KINDLING__keystone_authtoken__username: 'kindling',
      KINDLING__keystone_authtoken__password: 'secret',
      KINDLING__keystone_authtoken__project_name: 'service',
    },
    { waitForPools: false },
  );
  t.after(() => k.close());
  const member = ks.issue({ userId: 'u', projectId: 'p', roles: ['member', 'reader'] });
  const admin = ks.issue({ userId: 'a', projectId: 'padm', roles: ['admin', 'member', 'reader'] });
  assert.equal((await untilHealth(k, 200)).text, 'OK');
  assert.equal((await health(k, '?detailed')).status, 401);
  const denied = await health(k, '?detailed', { 'x-auth-token': member });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.forbidden.message, "Policy doesn't allow healthcheck:detailed to be performed.");
  const d = await detailed(k, { 'x-auth-token': admin });
  assert.equal(d.detailed, true);
  assert.equal(classOf(d, 'VolumeServicesHealthcheck').reason, 'OK');
});
