/**
 * `/clusters` (3.7+) and `POST /workers/cleanup` (3.24+), as Cinder Zed answers them: without a
 * `cluster` option no cluster is listed; with one, the volume service's cluster is listed, shown,
 * disabled (the scheduler then places nothing there) and enabled, frozen and thawed as a whole;
 * work-cleanup lists the services it sent a cleanup to and those nobody could clean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  mv,
  startTestKindling,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';

async function start(
  t: { after(fn: () => Promise<void>): void },
  env: Record<string, string> = {},
): Promise<TestKindling> {
  const k = await startTestKindling({ KINDLING__DEFAULT__host: 'testhost', ...env });
  t.after(() => k.close());
  return k;
}

const V = mv('3.26');
const UUID = '8a3c3e6e-2f9b-4b8e-9a55-3b1f2f0f4a11';

test('without a cluster option: no clusters, 404s with Cinder texts, work-cleanup answers', async (t) => {
  const k = await start(t);
  assert.deepEqual((await k.req('GET', '/v3/clusters', undefined, mv('3.7'))).body, { clusters: [] });
  assert.deepEqual((await k.req('GET', '/v3/clusters/detail', undefined, V)).body, { clusters: [] });
  assert.equal((await k.req('GET', '/v3/clusters', undefined, mv('3.6'))).status, 404);

  const show = await k.req('GET', '/v3/clusters/c1?binary=cinder-volume', undefined, V);
  assert.equal(show.status, 404);
  assert.deepEqual(show.body, {
    itemNotFound: {
      code: 404,
      message: "Cluster {'binary': 'cinder-volume', 'name': 'c1'} could not be found.",
    },
  });
  const enable = await k.req('PUT', '/v3/clusters/enable', { name: 'c1' }, V);
  assert.equal(enable.status, 404);
  const unknown = await k.req('PUT', '/v3/clusters/other', { name: 'c1' }, V);
  assert.deepEqual([unknown.status, unknown.body?.itemNotFound?.message], [404, 'Unknown action']);
  for (const body of [{}, { name: '' }, { name: 'c1', x: 1 }, { name: 'c1', disabled_reason: '  ' }, null]) {
    const r = await k.req('PUT', '/v3/clusters/disable', body, V);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.ok(r.body.badRequest.message, JSON.stringify(r.body));
  }
  const badFilter = await k.req('GET', '/v3/clusters?frozen=true', undefined, mv('3.7'));
  assert.deepEqual(badFilter.body, {
    badRequest: { code: 400, message: 'Invalid input received: Invalid filter keys: frozen' },
  });
  const badBool = await k.req('GET', '/v3/clusters?is_up=maybe', undefined, V);
  assert.deepEqual(badBool.body, {
    badRequest: { code: 400, message: "Value 'maybe' for 'is_up' is not a boolean." },
  });

  // work-cleanup: nothing is down, so by default (is_up false) nothing is cleaned.
  const W = mv('3.24');
  assert.equal((await k.req('POST', '/v3/workers/cleanup', {}, mv('3.23'))).status, 404);
  const none = await k.req('POST', '/v3/workers/cleanup', {}, W);
  assert.deepEqual([none.status, none.body], [202, { cleaning: [], unavailable: [] }]);
  const up = await k.req('POST', '/v3/workers/cleanup', { is_up: 'true', binary: 'cinder-volume' }, W);
  assert.equal(up.status, 202);
  const services = (await k.req('GET', '/v3/os-services?binary=cinder-volume')).body.services;
  assert.deepEqual(
    up.body.cleaning.map((s: any) => [s.host, s.binary, s.cluster_name, typeof s.id]),
    services.map((s: any) => [s.host, 'cinder-volume', null, 'number']),
  );
  assert.deepEqual(up.body.unavailable, []);
  const sched = await k.req('POST', '/v3/workers/cleanup', { is_up: true, binary: 'cinder-scheduler' }, W);
  assert.deepEqual(
    sched.body.cleaning.map((s: any) => s.binary),
    sched.body.cleaning.map(() => 'cinder-scheduler'),
  );
  assert.ok(sched.body.cleaning.length >= 1);
  const byId = await k.req(
    'POST',
    '/v3/workers/cleanup',
    { is_up: true, service_id: up.body.cleaning[0].id },
    W,
  );
  assert.deepEqual(byId.body.cleaning, [up.body.cleaning[0]]);
  assert.deepEqual((await k.req('POST', '/v3/workers/cleanup', { service_id: '999999' }, W)).body, {
    cleaning: [],
    unavailable: [],
  });

  const bad: [unknown, string | null][] = [
    [{ binary: 'cinder-backup' }, null],
    [{ is_up: 'maybe' }, null],
    [{ is_up: null }, null],
    [{ service_id: 'x1' }, null],
    [{ resource_id: 'not-a-uuid' }, null],
    [{ unknown: 1 }, null],
    [{ host: 'a b' }, null],
    [
      { resource_type: 'volumes' },
      'Invalid input received: Resource type Volumes not valid, must be Volume or Snapshot',
    ],
    [
      { resource_id: UUID },
      `Invalid input received: ('There is no resource with UUID %s pending cleanup.', '${UUID}')`,
    ],
    [[], null],
    [null, null],
  ];
  for (const [body, message] of bad) {
    const r = await k.req('POST', '/v3/workers/cleanup', body, W);
    assert.equal(r.status, 400, JSON.stringify([body, r.body]));
    if (message) assert.equal(r.body.badRequest.message, message);
  }
  // The body is optional, as in Cinder: an empty one is no body; a blank one is not JSON.
  assert.equal((await k.req('POST', '/v3/workers/cleanup', '', W)).status, 202);
  for (const blank of [' ', '\n', ' \r\n\t']) {
    const r = await k.req('POST', '/v3/workers/cleanup', blank, W);
    assert.deepEqual(
      [r.status, r.body],
      [400, { badRequest: { code: 400, message: 'Malformed request body' } }],
    );
  }
});

test('a clustered volume service: list, show, disable stops placement, enable, freeze as a whole', async (t) => {
  const k = await start(t, { KINDLING__DEFAULT__cluster: 'c1' });
  const vol = (await k.req('GET', '/v3/os-services?binary=cinder-volume', undefined, mv('3.7'))).body
    .services[0];
  assert.deepEqual([vol.host, vol.cluster], ['testhost@file', 'c1@file']);

  assert.deepEqual((await k.req('GET', '/v3/clusters', undefined, mv('3.7'))).body, {
    clusters: [{ name: 'c1@file', binary: 'cinder-volume', state: 'up', status: 'enabled' }],
  });
  assert.deepEqual(
    (await k.req('GET', '/v3/clusters', undefined, V)).body.clusters[0].replication_status,
    'not-capable',
  );
  const detail37 = (await k.req('GET', '/v3/clusters/detail', undefined, mv('3.7'))).body.clusters[0];
  assert.deepEqual(Object.keys(detail37).sort(), [
    'binary',
    'created_at',
    'disabled_reason',
    'last_heartbeat',
    'name',
    'num_down_hosts',
    'num_hosts',
    'state',
    'status',
    'updated_at',
  ]);
  assert.deepEqual([detail37.num_hosts, detail37.num_down_hosts, detail37.updated_at], [1, 0, '']);
  assert.match(detail37.last_heartbeat, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  const shown = (await k.req('GET', '/v3/clusters/c1@file?binary=cinder-volume', undefined, V)).body.cluster;
  assert.deepEqual(
    [shown.name, shown.frozen, shown.replication_status, shown.active_backend_id],
    ['c1@file', false, 'not-capable', null],
  );
  // Cinder matches the name at host level: `c1` finds `c1@file`.
  assert.equal((await k.req('GET', '/v3/clusters/c1', undefined, V)).body.cluster.name, 'c1@file');
  assert.equal((await k.req('GET', '/v3/clusters?is_up=false', undefined, V)).body.clusters.length, 0);
  assert.equal(
    (await k.req('GET', '/v3/clusters?num_hosts=1&binary=cinder-volume', undefined, V)).body.clusters.length,
    1,
  );
  assert.equal((await k.req('GET', '/v3/clusters?frozen=true', undefined, V)).body.clusters.length, 0);

  // A volume records the cluster; its host is the member that made it.
  const made = await k.req('POST', '/v3/volumes', { volume: { size: 1 } });
  const v = await waitForVolumeStatus(k, made.body.volume.id, ['available', 'error']);
  assert.equal(v.status, 'available');
  const admin = (await k.req('GET', `/v3/volumes/${v.id}`, undefined, mv('3.61'))).body.volume;
  assert.deepEqual(
    [admin.cluster_name, admin['os-vol-host-attr:host']],
    ['c1@file#file', 'testhost@file#file'],
  );

  const disabled = await k.req(
    'PUT',
    '/v3/clusters/disable',
    { name: 'c1@file', disabled_reason: ' upgrade ' },
    V,
  );
  assert.deepEqual(
    [disabled.status, disabled.body],
    [
      200,
      {
        cluster: {
          name: 'c1@file',
          binary: 'cinder-volume',
          state: 'up',
          status: 'disabled',
          replication_status: 'not-capable',
          disabled_reason: 'upgrade',
        },
      },
    ],
  );
  const d = (await k.req('GET', '/v3/clusters/detail?disabled=true', undefined, V)).body.clusters[0];
  assert.deepEqual([d.status, d.disabled_reason], ['disabled', 'upgrade']);
  assert.notEqual(d.updated_at, '');
  // The scheduler no longer places volumes there (its service list is cached for a second).
  await new Promise((r) => setTimeout(r, 1200));
  const refused = await k.req('POST', '/v3/volumes', { volume: { size: 1 } });
  assert.equal(
    (await waitForVolumeStatus(k, refused.body.volume.id, ['available', 'error'])).status,
    'error',
  );

  const enabled = await k.req('PUT', '/v3/clusters/enable', { name: 'c1@file' }, mv('3.7'));
  assert.deepEqual(enabled.body, {
    cluster: {
      name: 'c1@file',
      binary: 'cinder-volume',
      state: 'up',
      status: 'enabled',
      disabled_reason: null,
    },
  });
  await new Promise((r) => setTimeout(r, 1200));
  const again = await k.req('POST', '/v3/volumes', { volume: { size: 1 } });
  assert.equal(
    (await waitForVolumeStatus(k, again.body.volume.id, ['available', 'error'])).status,
    'available',
  );

  // freeze/thaw by cluster (3.26): the cluster and its member are frozen; a delete is refused.
  assert.equal((await k.req('PUT', '/v3/os-services/freeze', { cluster: 'c1@file' }, V)).status, 200);
  assert.equal((await k.req('GET', '/v3/clusters/c1@file', undefined, V)).body.cluster.frozen, true);
  const del = await k.req('DELETE', `/v3/volumes/${v.id}`);
  assert.deepEqual(del.body, {
    badRequest: {
      code: 400,
      message: 'Invalid input received: Modification operations are not allowed on frozen storage backends.',
    },
  });
  const twice = await k.req('PUT', '/v3/os-services/freeze', { cluster: 'c1@file' }, V);
  assert.deepEqual(twice.body, {
    badRequest: {
      code: 400,
      message: 'Invalid input received: frozen in c1@file must be False to failover.',
    },
  });
  assert.equal((await k.req('PUT', '/v3/os-services/thaw', { host: 'testhost@file' }, V)).status, 200);
  assert.equal((await k.req('GET', '/v3/clusters/c1@file', undefined, V)).body.cluster.frozen, false);
  const failover = await k.req('PUT', '/v3/os-services/failover', { cluster: 'c1@file' }, V);
  assert.deepEqual(failover.body, {
    badRequest: {
      code: 400,
      message:
        "Invalid input received: replication_status in c1@file must be ['enabled', 'failed-over'] and must be up to failover.",
    },
  });

  // work-cleanup of the cluster's live member goes to the cluster's queue.
  const W = mv('3.24');
  const clean = await k.req('POST', '/v3/workers/cleanup', { cluster_name: 'c1', is_up: true }, W);
  assert.deepEqual(
    clean.body.cleaning.map((s: any) => [s.host, s.cluster_name]),
    [['testhost@file', 'c1@file']],
  );
  assert.equal((await k.req('DELETE', `/v3/volumes/${v.id}`)).status, 202);

  // A member that died while deleting a volume: its workers row names the volume. work-cleanup
  // (is_up false by default) sends its cleanup to the cluster, whose live member claims the row,
  // takes the volume over and deletes it.
  const ghostAt = new Date(Date.now() - 3600_000).toISOString().replace('Z', '000');
  await k.db
    .insertInto('services')
    .values({
      uuid: randomUUID(),
      host: 'ghost@file',
      binary: 'cinder-volume',
      topic: 'cinder-volume',
      report_count: 1,
      disabled: 0,
      disabled_reason: null,
      availability_zone: 'nova',
      cluster_name: 'c1@file',
      frozen: 0,
      replication_status: 'not-capable',
      active_backend_id: null,
      modified_at: null,
      heartbeat_at: ghostAt,
      created_at: ghostAt,
      updated_at: ghostAt,
      deleted: 0,
    })
    .execute();
  const ghost = await k.db
    .selectFrom('services')
    .select('id')
    .where('host', '=', 'ghost@file')
    .executeTakeFirstOrThrow();
  const victim = (await k.req('POST', '/v3/volumes', { volume: { size: 1 } })).body.volume.id;
  assert.equal((await waitForVolumeStatus(k, victim, ['available', 'error'])).status, 'available');
  await k.db
    .updateTable('volumes')
    .set({ status: 'deleting', host: 'ghost@file#file' })
    .where('id', '=', victim)
    .execute();
  await k.db
    .insertInto('workers')
    .values({
      resource_type: 'Volume',
      resource_id: victim,
      status: 'deleting',
      service_id: ghost.id,
      cleaning: 0,
      created_at: ghostAt,
      updated_at: ghostAt,
      deleted: 0,
    })
    .execute();
  const file = ['volumes', 'volumes/file']
    .map((d) => join(k.stateDir, d, `volume-${victim}`))
    .find((f) => existsSync(f));
  assert.ok(file, 'the volume has a file');
  const cleanDead = await k.req('POST', '/v3/workers/cleanup', { resource_id: victim }, W);
  assert.deepEqual(
    [cleanDead.status, cleanDead.body],
    [
      202,
      {
        cleaning: [{ id: ghost.id, host: 'ghost@file', binary: 'cinder-volume', cluster_name: 'c1@file' }],
        unavailable: [],
      },
    ],
  );
  await waitFor(async () => (await k.req('GET', `/v3/volumes/${victim}`)).status === 404 || null);
  assert.equal(existsSync(file), false);
  await waitFor(
    async () =>
      (await k.db.selectFrom('workers').select('id').where('resource_id', '=', victim).execute()).length ===
        0 || null,
  );
  const detail = (await k.req('GET', '/v3/clusters/c1@file', undefined, V)).body.cluster;
  assert.deepEqual([detail.num_hosts, detail.num_down_hosts, detail.state], [2, 1, 'up']);
});
