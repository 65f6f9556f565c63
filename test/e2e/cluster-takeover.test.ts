/**
 * An active-active cluster under a burst: two volume processes (`node-a`, `node-b`) in cluster
 * `c1` serve one file backend on one shared directory, over RabbitMQ and PostgreSQL. `node-a` is
 * killed with SIGKILL in the middle of 100 creates (the driver's creates made slow, so some are in
 * flight on it). Every volume ends `available` or `error`, none `creating`; the creates `node-a`
 * had in flight were finished by `node-b`, which took them over (their `host` moved to it by
 * compare-and-swap, the dead member's `workers` rows cleaned); quota usage equals the volumes
 * there are. `POST /workers/cleanup` then lists the dead member as cleaned by its cluster, and
 * `/clusters/detail` counts one host down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/connection.js';
import { freshDatabaseUrl, unavailable } from '../support/dialects.js';
import { E2E_TUNING, startCluster } from '../support/cluster.js';
import { call, waitPools } from './cluster-client.js';

const SKIP = await unavailable('postgres');
const TOTAL = 100;
const KILL_AFTER = 40;
const CONCURRENCY = 10;

test(
  'cluster member killed -9 during 100 creates: the peer takes its work over, nothing stuck, quota exact',
  { skip: SKIP ?? false, timeout: 300_000 },
  async (t) => {
    const db = await freshDatabaseUrl('postgres');
    const c = await startCluster({
      databaseUrl: db.url,
      backends: ['alpha'],
      host: 'node-a',
      env: {
        KINDLING__DEFAULT__host: 'node-a',
        KINDLING_TEST_DRIVER_FAULTS: JSON.stringify({ alpha: { createVolumeDelayMs: 400 } }),
      },
      tuning: { ...E2E_TUNING, cluster: 'c1', service_down_time: '6' },
    });
    const dbh = await openDatabase(db.url);
    t.after(async () => {
      await dbh.close();
      await c.stop();
      await db.drop();
    });
    await c.startVolume('alpha', { KINDLING__DEFAULT__host: 'node-b' }, 'volume-alpha-b');
    await waitPools(c, 1);
    const clusters = (await call(c, 'GET', '/v3/admin/clusters/detail')).body.clusters;
    assert.deepEqual(
      clusters.map((x: any) => [x.name, x.num_hosts, x.num_down_hosts, x.state]),
      [['c1@alpha', 2, 0, 'up']],
    );

    // 100 creates, 10 at a time; node-a is killed once 40 have been accepted.
    const ids: string[] = [];
    const nodeA = c.services.get('volume-alpha')!;
    let next = 0;
    let inFlightOnA: string[] | null = null;
    const sender = async () => {
      while (next < TOTAL) {
        next++;
        const r = await call(c, 'POST', '/v3/admin/volumes', { volume: { size: 1 } });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        ids.push(r.body.volume.id);
        if (ids.length === KILL_AFTER && inFlightOnA === null) {
          inFlightOnA = [];
          nodeA.child.kill('SIGKILL');
          const rows = await dbh.db
            .selectFrom('volumes')
            .select('id')
            .where('status', '=', 'creating')
            .where('host', '=', 'node-a@alpha#alpha')
            .execute();
          inFlightOnA = rows.map((r) => r.id);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, sender));
    assert.equal(ids.length, TOTAL);
    assert.ok(await nodeA.exited(5000));
    assert.equal(nodeA.child.signalCode, 'SIGKILL');
    const orphans: string[] = inFlightOnA ?? [];
    assert.ok(orphans.length > 0, 'node-a had no create in flight when it was killed');

    // Every volume settles: available or error, none left creating.
    const end = Date.now() + 120_000;
    let statuses: { id: string; status: string; host: string | null }[];
    for (;;) {
      statuses = await dbh.db
        .selectFrom('volumes')
        .select(['id', 'status', 'host'])
        .where('deleted', '=', 0)
        .execute();
      if (
        statuses.length === TOTAL &&
        statuses.every((v) => v.status === 'available' || v.status === 'error')
      )
        break;
      if (Date.now() > end) {
        const stuck = statuses.filter((v) => v.status !== 'available' && v.status !== 'error');
        throw new Error(`stuck: ${JSON.stringify(stuck)}\n${c.logs().slice(-6000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const byId = new Map(statuses.map((v) => [v.id, v]));
    assert.deepEqual([...byId.keys()].sort(), [...ids].sort(), 'the volumes listed are the ones created');
    // The creates node-a had in flight were finished by node-b (none failed: the backend is fine).
    for (const id of orphans) {
      const v = byId.get(id)!;
      assert.deepEqual([v.status, v.host], ['available', 'node-b@alpha#alpha'], id);
      assert.ok(existsSync(join(c.stateDir, 'volumes', 'alpha', `volume-${id}`)));
    }
    assert.equal(statuses.filter((v) => v.status === 'error').length, 0);
    // Each was taken over by node-b: its host moved from node-a by compare-and-swap (logged).
    const logsB = c.services.get('volume-alpha-b')!.logs().split('\n');
    for (const id of orphans)
      assert.ok(
        logsB.some((l) => l.includes('Took over volume') && l.includes(id) && l.includes('node-a@alpha')),
        `no take-over of ${id} in node-b's log`,
      );
    t.diagnostic(
      `in flight on node-a when killed: ${orphans.length}; node-a's workers rows node-b cleaned: ` +
        `${logsB.filter((l) => /cleanup completed/.test(l) && /"action":"/.test(l)).length} cleanups`,
    );
    // No work of the dead member is left behind.
    const nodeARow = await dbh.db
      .selectFrom('services')
      .select('id')
      .where('host', '=', 'node-a@alpha')
      .executeTakeFirstOrThrow();
    await waitForNoWorkers(dbh, nodeARow.id);

    // Quota: in use is exactly the volumes there are; nothing left reserved.
    const q = (await call(c, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
    assert.deepEqual(
      [q.volumes.in_use, q.gigabytes.in_use, q.volumes.reserved, q.gigabytes.reserved],
      [TOTAL, TOTAL, 0, 0],
    );

    // Once node-a counts as down, the clusters API and work-cleanup say so.
    await waitDown(c);
    const detail = (await call(c, 'GET', '/v3/admin/clusters/c1@alpha')).body.cluster;
    assert.deepEqual([detail.num_hosts, detail.num_down_hosts, detail.state], [2, 1, 'up']);
    const cleanup = await call(c, 'POST', '/v3/admin/workers/cleanup', {});
    assert.equal(cleanup.status, 202);
    assert.deepEqual(cleanup.body, {
      cleaning: [
        { id: nodeARow.id, host: 'node-a@alpha', binary: 'cinder-volume', cluster_name: 'c1@alpha' },
      ],
      unavailable: [],
    });
  },
);

/** Waits until the service has no `workers` rows (the peer's periodic cleanup may still be running). */
async function waitForNoWorkers(
  dbh: Awaited<ReturnType<typeof openDatabase>>,
  serviceId: number,
): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const rows = await dbh.db.selectFrom('workers').selectAll().where('service_id', '=', serviceId).execute();
    if (rows.length === 0) return;
    if (Date.now() > end) throw new Error(`workers rows of the dead member left: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until os-services shows node-a's volume service down. */
async function waitDown(c: Awaited<ReturnType<typeof startCluster>>): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const services = (await call(c, 'GET', '/v3/admin/os-services?binary=cinder-volume')).body.services;
    if (services.some((s: any) => s.host === 'node-a@alpha' && s.state === 'down')) return;
    if (Date.now() > end) throw new Error('node-a never showed down');
    await new Promise((r) => setTimeout(r, 250));
  }
}
