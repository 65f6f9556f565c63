/**
 * `/metrics` (docs/operations.md#metrics), as Prometheus scrapes it: after volumes, a snapshot and
 * a backup are made, the counters, histograms and gauges have moved, with route patterns (never
 * URLs) and statuses as labels; every family has one TYPE. Embedded: one process answers for
 * everything on the API port. Distributed: the API port shows the API process's own metrics, and
 * `[metrics] port` gives each process (api, scheduler, volume, backup) a listener of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startMetricsListener, type MetricsListener } from '../../src/metrics/index.js';
import { FakeKeystone } from '../auth/fake-keystone.js';
import {
  onlyIn,
  startTestKindling,
  TEST_MODE,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';
import { parseExposition, type Exposition } from '../support/prometheus.js';
import { availableSnapshot, availableVolume } from '../support/snapshots.js';
import { BACKUP_WAIT_MS, GiB, MiB, pattern, waitForBackupStatus, writeVolume } from './backups-support.js';

async function scrape(k: TestKindling, url = '/metrics'): Promise<Exposition> {
  const r = await k.req('GET', url, undefined, { 'x-auth-token': undefined });
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4; charset=utf-8$/);
  return parseExposition(r.text);
}

/** Scrapes a separate listener over HTTP. */
async function scrapeUrl(url: string): Promise<Exposition> {
  const r = await fetch(url);
  assert.equal(r.status, 200);
  return parseExposition(await r.text());
}

async function backupOf(k: TestKindling, volumeId: string): Promise<any> {
  const r = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: volumeId, name: 'm' } });
  assert.equal(r.status, 202, r.text);
  return waitForBackupStatus(k, r.body.backup.id, ['available']);
}

test('after volumes, a snapshot and a backup, the API port shows them in its metrics', async (t) => {
  // Capacity reports every second, so the pools' allocated capacity follows the creates quickly.
  const k = await startTestKindling({
    KINDLING__DEFAULT__host: 'metricshost',
    KINDLING__DEFAULT__backend_stats_polling_interval: '1',
  });
  t.after(() => k.close());
  const before = await scrape(k);
  const route = '/v3/:project_id/volumes';
  const posted = { route, method: 'POST', code: '202' };

  const volumes = [await availableVolume(k), await availableVolume(k)];
  const snapshot = await availableSnapshot(k, volumes[0].id);
  // Some data in the volume, so the backup stores (and the restore writes) real bytes.
  await writeVolume(k, volumes[1].id, 0, pattern('metrics', MiB));
  const backup = await backupOf(k, volumes[1].id);
  const restored = await k.req('POST', `/v3/admin/backups/${backup.id}/restore`, { restore: {} });
  assert.equal(restored.status, 202, restored.text);
  await waitForVolumeStatus(k, restored.body.restore.volume_id, ['available'], BACKUP_WAIT_MS);
  const m = await scrape(k);

  // Every family once, with its type.
  const families: [string, string][] = [
    ['kindling_http_requests_total', 'counter'],
    ['kindling_http_request_duration_seconds', 'histogram'],
    ['kindling_volumes', 'gauge'],
    ['kindling_snapshots', 'gauge'],
    ['kindling_backups', 'gauge'],
    ['kindling_quota_reservations_open', 'gauge'],
    ['kindling_flow_task_duration_seconds', 'histogram'],
    ['kindling_rpc_messages_sent_total', 'counter'],
    ['kindling_db_query_duration_seconds', 'histogram'],
    ['kindling_db_transaction_duration_seconds', 'histogram'],
    ['kindling_backup_bytes_total', 'counter'],
    ['process_cpu_user_seconds_total', 'counter'],
    ['nodejs_heap_size_used_bytes', 'gauge'],
  ];
  for (const [name, type] of families) assert.equal(m.types.get(name), type, name);

  // HTTP: two creates by route pattern, method and code; the latency histogram saw them.
  assert.equal(
    m.value('kindling_http_requests_total', posted) - before.sum('kindling_http_requests_total', posted),
    2,
  );
  const latency = { route, method: 'POST', status_class: '2xx' };
  const count = m.value('kindling_http_request_duration_seconds_count', latency);
  assert.equal(count - before.sum('kindling_http_request_duration_seconds_count', latency), 2);
  assert.equal(m.value('kindling_http_request_duration_seconds_bucket', { ...latency, le: '+Inf' }), count);
  assert.ok(m.value('kindling_http_request_duration_seconds_sum', latency) > 0);
  assert.ok(m.sum('kindling_http_requests_total', { route: '/v3/volumes/:id', method: 'GET' }) > 0);
  // No URL ever becomes a label value: the ids polled are not in any label.
  for (const s of m.samples)
    for (const v of Object.values(s.labels))
      assert.ok(!v.includes(volumes[0].id) && !v.includes(backup.id), `${s.name} has a URL label: ${v}`);

  // Gauges from the database, at scrape time.
  assert.equal(m.value('kindling_volumes', { status: 'available', backend: 'file' }), 3);
  assert.equal(m.value('kindling_snapshots', { status: 'available' }), 1);
  assert.equal(m.value('kindling_backups', { status: 'available' }), 1);
  assert.equal(m.value('kindling_quota_reservations_open'), 0);
  assert.ok(!m.find('kindling_volumes', { status: 'creating' }).length);
  assert.equal(snapshot.status, 'available');

  // The api flow's tasks, the RPC casts it sent, the database's statements and transactions.
  const task = { flow: 'volume:create_api', task: 'EntryCreateTask', outcome: 'success' };
  assert.ok(
    m.value('kindling_flow_task_duration_seconds_count', task) -
      before.sum('kindling_flow_task_duration_seconds_count', task) >=
      2,
  );
  assert.ok(
    m.value('kindling_rpc_messages_sent_total', { method: 'create_volume', type: 'cast' }) -
      before.sum('kindling_rpc_messages_sent_total', { method: 'create_volume', type: 'cast' }) >=
      2,
  );
  const inserts = { operation: 'insert', outcome: 'ok' };
  assert.ok(
    m.value('kindling_db_query_duration_seconds_count', inserts) >
      before.sum('kindling_db_query_duration_seconds_count', inserts),
  );
  assert.ok(
    m.value('kindling_db_transaction_duration_seconds_count', { outcome: 'commit' }) >
      before.sum('kindling_db_transaction_duration_seconds_count', { outcome: 'commit' }),
  );
  assert.ok(m.value('process_resident_memory_bytes') > 0);

  if (TEST_MODE === 'embedded') {
    // One process: the scheduler's pools, the manager flow, the handled messages, the backup's bytes.
    const pool = { pool: 'metricshost@file#file', backend: 'file' };
    assert.ok(m.value('kindling_pool_capacity_bytes', pool) > 0);
    assert.ok(m.value('kindling_pool_free_bytes', pool) > 0);
    const allocated = await waitFor(async () => {
      const now = await scrape(k);
      return now.value('kindling_pool_allocated_bytes', pool) === 3 * GiB ? now : null;
    });
    assert.ok(allocated.value('kindling_pool_provisioned_bytes', pool) >= 3 * GiB);
    assert.ok(
      m.value('kindling_flow_task_duration_seconds_count', {
        flow: 'volume:create_manager',
        task: 'CreateVolumeFromSpecTask',
        outcome: 'success',
      }) >= 2,
    );
    assert.ok(
      m.value('kindling_rpc_messages_received_total', { method: 'create_volume', outcome: 'ok' }) >= 2,
    );
    const read = m.value('kindling_backup_bytes_total', { operation: 'backup' });
    assert.ok(read - before.sum('kindling_backup_bytes_total', { operation: 'backup' }) >= GiB, `${read}`);
    const written = m.value('kindling_backup_bytes_total', { operation: 'restore' });
    assert.ok(written - before.sum('kindling_backup_bytes_total', { operation: 'restore' }) >= MiB);
  }
});

test('with [metrics] port, every process serves its own metrics there and the API port none', async (t) => {
  const k = await startTestKindling({ KINDLING__DEFAULT__host: 'metricshost', KINDLING__metrics__port: '0' });
  t.after(() => k.close());
  const urls: Record<string, string> = {};
  if (TEST_MODE === 'embedded') {
    // As `kindling serve` does: one listener for the one process.
    const listener: MetricsListener | null = await startMetricsListener(
      k.core.config,
      k.embedded.metrics,
      pino({ level: 'silent' }),
    );
    assert.ok(listener);
    t.after(() => listener.close());
    for (const name of ['api', 'scheduler', 'volume-file', 'backup']) urls[name] = listener.url;
  } else {
    // Each process logs where it serves them (port 0: a free port).
    for (const [name, p] of k.cluster!.services) {
      const m = /metrics are served on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(p.logs());
      assert.ok(m, `${name} did not log its metrics listener:\n${p.logs().slice(-2000)}`);
      urls[name] = m[1]!;
    }
  }
  assert.equal((await k.req('GET', '/metrics')).status, 404);

  const volume = await availableVolume(k);
  await writeVolume(k, volume.id, 0, pattern('port', 4096));
  const r = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: volume.id } });
  assert.equal(r.status, 202, r.text);
  await waitForBackupStatus(k, r.body.backup.id, ['available']);

  const api = await scrapeUrl(urls.api!);
  assert.equal(api.value('kindling_volumes', { status: 'available', backend: 'file' }), 1);
  assert.ok(
    api.value('kindling_http_requests_total', {
      route: '/v3/:project_id/volumes',
      method: 'POST',
      code: '202',
    }) >= 1,
  );
  const scheduler = await scrapeUrl(urls.scheduler!);
  assert.ok(
    scheduler.value('kindling_pool_capacity_bytes', { pool: 'metricshost@file#file', backend: 'file' }) > 0,
  );
  assert.ok(
    scheduler.value('kindling_flow_task_duration_seconds_count', {
      flow: 'volume:create_scheduler',
      task: 'ScheduleCreateVolumeTask',
      outcome: 'success',
    }) >= 1,
  );
  const volumeService = await scrapeUrl(urls['volume-file']!);
  assert.ok(
    volumeService.value('kindling_rpc_messages_received_total', { method: 'create_volume', outcome: 'ok' }) >=
      1,
  );
  assert.ok(
    volumeService.value('kindling_flow_task_duration_seconds_count', {
      flow: 'volume:create_manager',
      task: 'CreateVolumeFromSpecTask',
      outcome: 'success',
    }) >= 1,
  );
  const backup = await scrapeUrl(urls.backup!);
  assert.ok(backup.value('kindling_backup_bytes_total', { operation: 'backup' }) >= GiB);
  assert.ok(backup.value('process_start_time_seconds') > 0);
  if (TEST_MODE === 'distributed') {
    // Gauges from the database and the pools are each exposed by one process only.
    assert.equal(scheduler.find('kindling_volumes').length, 0);
    assert.equal(api.find('kindling_pool_capacity_bytes').length, 0);
  }
  // The listener answers /metrics only.
  assert.equal((await fetch(urls.api!.replace(/\/metrics$/, '/other'))).status, 404);
});

test('[metrics] enabled = false: no /metrics', async (t) => {
  const k = await startTestKindling({ KINDLING__metrics__enabled: 'false' });
  t.after(() => k.close());
  assert.equal((await k.req('GET', '/metrics')).status, 404);
});

test(
  'the metrics listener refuses a port in use, naming the options',
  { skip: onlyIn('embedded', 'calls the listener directly') },
  async (t) => {
    const k = await startTestKindling({ KINDLING__metrics__port: '0' });
    t.after(() => k.close());
    const log = pino({ level: 'silent' });
    const first = await startMetricsListener(k.core.config, k.embedded.metrics, log);
    assert.ok(first);
    t.after(() => first.close());
    const port = Number(new URL(first.url).port);
    const config = { ...k.core.config, metrics: { ...k.core.config.metrics, port } };
    await assert.rejects(
      startMetricsListener(config, k.embedded.metrics, log),
      /Cannot listen on 127\.0\.0\.1:\d+ \(\[metrics\] listen, port\): the port is in use/,
    );
  },
);

test('keystone mode: /metrics on the API port needs an admin token', async (t) => {
  const ks = await new FakeKeystone().start();
  t.after(() => ks.stop());
  const k = await startTestKindling(
    {
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
  const none = await k.req('GET', '/metrics', undefined, { 'x-auth-token': undefined });
  assert.equal(none.status, 401);
  assert.match(String(none.headers['www-authenticate']), /^Keystone uri=/);
  const denied = await k.req('GET', '/metrics', undefined, { 'x-auth-token': member });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.forbidden.message, "Policy doesn't allow metrics:get to be performed.");
  const r = await k.req('GET', '/metrics', undefined, { 'x-auth-token': admin });
  assert.equal(r.status, 200);
  assert.ok(parseExposition(r.text).types.has('kindling_volumes'));
});
