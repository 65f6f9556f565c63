/**
 * Active-active clusters in one process: two volume services (`node-a`, `node-b`) of one backend
 * in cluster `c1`, sharing the storage directory, behind one scheduler and API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import type { CoreDeps } from '../../src/common/deps.js';
import { startEmbedded, type Embedded } from '../../src/service/embedded.js';
import { startVolumeServices } from '../../src/service/volume-services.js';
import { serviceMarkStopped } from '../../src/db/api/services.js';
import { adminContext } from '../../src/common/context.js';

async function req(k: Embedded, method: string, url: string, body?: unknown) {
  const r = await k.app.inject({
    method: method as 'GET',
    url,
    headers: {
      'x-auth-token': 'admin:admin',
      'content-type': 'application/json',
      'openstack-api-version': 'volume 3.70',
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
}

async function until(fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function statusOf(k: Embedded, id: string): Promise<string> {
  const r = await req(k, 'GET', `/v3/admin/volumes/${id}`);
  return r.status === 404 ? 'deleted' : r.body.volume.status;
}

/** Embedded Kindling as `node-a` in cluster `c1`, plus a second member `node-b` in the same process. */
async function startTwoMembers(t: { after(fn: () => Promise<void> | void): void }) {
  const stateDir = mkdtempSync(join(tmpdir(), 'kindling-cluster-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const env = {
    KINDLING_STATE_DIR: stateDir,
    KINDLING__DEFAULT__host: 'node-a',
    KINDLING__DEFAULT__cluster: 'c1',
    KINDLING__DEFAULT__service_down_time: '5',
    KINDLING__file__file_volume_dir: join(stateDir, 'shared'),
  };
  const k = await startEmbedded(loadConfig({ env }), { log: pino({ level: 'silent' }) });
  const configB = loadConfig({ env: { ...env, KINDLING__DEFAULT__host: 'node-b' } });
  const coreB: CoreDeps = { ...k.core, config: configB };
  const [b] = await startVolumeServices(coreB);
  const stopB = async () => b!.stop();
  t.after(async () => {
    await stopB();
    await k.close();
  });
  await until(
    async () => ((await req(k, 'GET', '/v3/admin/scheduler-stats/get_pools')).body.pools?.length ?? 0) > 0,
  );
  return { k, a: k.volumeManagers[0]!, b: b!, stateDir };
}

test('members of a cluster share its queue, its volumes and one pool', async (t) => {
  const { k, a, b, stateDir } = await startTwoMembers(t);
  assert.equal(a.cluster, 'c1@file');
  assert.equal(b.cluster, 'c1@file');

  const pools = (await req(k, 'GET', '/v3/admin/scheduler-stats/get_pools')).body.pools;
  assert.deepEqual(
    pools.map((p: { name: string }) => p.name),
    ['c1@file#file'],
    'one pool for the cluster',
  );
  const services = (await req(k, 'GET', '/v3/admin/os-services?binary=cinder-volume')).body.services;
  assert.deepEqual(services.map((s: { host: string; cluster: string }) => [s.host, s.cluster]).sort(), [
    ['node-a@file', 'c1@file'],
    ['node-b@file', 'c1@file'],
  ]);

  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await req(k, 'POST', '/v3/admin/volumes', { volume: { size: 1 } });
    assert.equal(r.status, 202);
    ids.push(r.body.volume.id);
  }
  await until(async () =>
    (await Promise.all(ids.map((id) => statusOf(k, id)))).every((s) => s === 'available'),
  );
  const hosts = new Set<string>();
  for (const id of ids) {
    const v = (await req(k, 'GET', `/v3/admin/volumes/${id}`)).body.volume;
    assert.equal(v.cluster_name, 'c1@file#file');
    assert.match(v['os-vol-host-attr:host'], /^node-[ab]@file#file$/);
    hosts.add(v['os-vol-host-attr:host']);
    assert.ok(existsSync(join(stateDir, 'shared', `volume-${id}`)));
  }
  assert.equal(hosts.size, 2, 'both members took creates from the cluster queue');

  // Allocated capacity is the cluster's, whichever member reports it.
  const statsA = await a.volumeStats();
  const statsB = await b.volumeStats();
  assert.equal(statsA.pools[0]!.allocated_capacity_gb, 8);
  assert.equal(statsB.pools[0]!.allocated_capacity_gb, 8);

  // A delete goes to the cluster queue; either member removes the volume.
  for (const id of ids) assert.equal((await req(k, 'DELETE', `/v3/admin/volumes/${id}`)).status, 202);
  await until(async () =>
    (await Promise.all(ids.map((id) => statusOf(k, id)))).every((s) => s === 'deleted'),
  );
  for (const id of ids) assert.ok(!existsSync(join(stateDir, 'shared', `volume-${id}`)));

  // Freezing one member freezes the cluster: every member's row.
  assert.equal((await req(k, 'PUT', '/v3/admin/os-services/freeze', { host: 'node-b@file' })).status, 200);
  const frozen = (await req(k, 'GET', '/v3/admin/os-services?binary=cinder-volume')).body.services;
  assert.deepEqual(
    frozen.map((s: { frozen: boolean }) => s.frozen),
    [true, true],
  );
  assert.equal((await req(k, 'PUT', '/v3/admin/os-services/thaw', { cluster: 'c1@file' })).status, 200);
  const thawed = (await req(k, 'GET', '/v3/admin/os-services?binary=cinder-volume')).body.services;
  assert.deepEqual(
    thawed.map((s: { frozen: boolean }) => s.frozen),
    [false, false],
  );
});

test('a live member finishes the creates and deletes of a member that died', async (t) => {
  const { k, a, b, stateDir } = await startTwoMembers(t);
  const db = k.core.dbh.db;
  const mk = async () => {
    const r = await req(k, 'POST', '/v3/admin/volumes', { volume: { size: 1 } });
    await until(async () => (await statusOf(k, r.body.volume.id)) === 'available');
    return r.body.volume.id as string;
  };
  const creating = await mk();
  const deleting = await mk();
  // What node-a's death mid-work leaves: both volumes on node-a, one `creating` (file not yet
  // made), one `deleting` (file still there), and node-a's heartbeat going stale.
  await db
    .updateTable('volumes')
    .set({ host: 'node-a@file#file', status: 'creating' })
    .where('id', '=', creating)
    .execute();
  rmSync(join(stateDir, 'shared', `volume-${creating}`));
  await db
    .updateTable('volumes')
    .set({ host: 'node-a@file#file', status: 'deleting' })
    .where('id', '=', deleting)
    .execute();
  await a.stop();
  const serviceA = await db
    .selectFrom('services')
    .select('id')
    .where('host', '=', 'node-a@file')
    .executeTakeFirstOrThrow();
  await serviceMarkStopped(db, serviceA.id, 5);

  const resumed = await b.cleanup();
  assert.deepEqual(
    resumed.map((r) => [r.volumeId, r.action, r.status]).sort(),
    [
      [creating, 'create', 'available'],
      [deleting, 'delete', 'deleted'],
    ].sort(),
  );
  const v = (await req(k, 'GET', `/v3/admin/volumes/${creating}`)).body.volume;
  assert.equal(v['os-vol-host-attr:host'], 'node-b@file#file', 'the taker now holds the volume');
  assert.ok(existsSync(join(stateDir, 'shared', `volume-${creating}`)));
  assert.ok(!existsSync(join(stateDir, 'shared', `volume-${deleting}`)));
  const usage = (await req(k, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
  assert.equal(usage.volumes.in_use, 1);
  assert.equal(usage.gigabytes.in_use, 1);
});

test('a member does not take a live peer’s volumes, nor those of another cluster', async (t) => {
  const { k, b } = await startTwoMembers(t);
  const db = k.core.dbh.db;
  const r = await req(k, 'POST', '/v3/admin/volumes', { volume: { size: 1 } });
  const id = r.body.volume.id as string;
  await until(async () => (await statusOf(k, id)) === 'available');
  // On the live node-a and still `creating` (node-a is working on it): node-b leaves it alone.
  await db
    .updateTable('volumes')
    .set({ host: 'node-a@file#file', status: 'creating' })
    .where('id', '=', id)
    .execute();
  assert.deepEqual(await b.cleanup(), []);
  // In another cluster: not node-b's, even when its holder is gone.
  await db
    .updateTable('volumes')
    .set({ host: 'gone@file#file', cluster_name: 'c2@file#file' })
    .where('id', '=', id)
    .execute();
  assert.deepEqual(await b.cleanup(), []);
  await b.createVolume(adminContext(), id, null, {}, false);
  assert.equal(await statusOf(k, id), 'creating', 'a create message for another cluster is dropped');
});
