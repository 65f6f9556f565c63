/**
 * Clusters (migration 012, `src/db/api/clusters.ts`) and the `workers` claim on every dialect: a
 * cluster is made once by the members that join it, counts its members and the down ones, and a
 * `workers` row is claimed for cleanup by exactly one of two services trying at once.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import { serviceGetOrCreate, serviceMarkStopped } from '../../src/db/api/services.js';
import { clusterGetAll, clusterGetSummary, clusterJoin, clusterUpdate } from '../../src/db/api/clusters.js';
import { workerClaimForCleanup, workerGetAll, workerStart, workerUnclaim } from '../../src/db/api/workers.js';
import { formatTimestamp } from '../../src/common/time.js';

for (const dialect of DIALECTS) {
  describe(`clusters and workers db api [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    test('members joining at once make one cluster; counts and heartbeat from the members', async () => {
      const name = `c-${randomUUID().slice(0, 8)}@fast`;
      const member = (host: string) =>
        serviceGetOrCreate(db, {
          host: `${host}@fast`,
          binary: 'cinder-volume',
          topic: 'cinder-volume',
          availability_zone: 'nova',
          cluster_name: name,
        });
      const [a, b] = await Promise.all([member(`a-${name}`), member(`b-${name}`)]);
      const joined = await Promise.all([clusterJoin(db, a), clusterJoin(db, b)]);
      assert.equal(joined[0]!.id, joined[1]!.id);
      const all = await clusterGetAll(db, { name }, 60);
      assert.equal(all.length, 1);
      assert.deepEqual(
        { n: all[0]!.num_hosts, down: all[0]!.num_down_hosts, up: all[0]!.is_up, disabled: all[0]!.disabled },
        { n: 2, down: 0, up: true, disabled: 0 },
      );
      // One member stops: still up (the other beats); both stop: down, last heartbeat kept.
      await serviceMarkStopped(db, a.id, 60);
      let s = (await clusterGetSummary(db, name, 'cinder-volume', 60))!;
      assert.deepEqual([s.num_down_hosts, s.is_up], [1, true]);
      await serviceMarkStopped(db, b.id, 60);
      s = (await clusterGetSummary(db, name, 'cinder-volume', 60))!;
      assert.deepEqual([s.num_down_hosts, s.is_up], [2, false]);
      assert.ok(s.last_heartbeat && s.last_heartbeat < formatTimestamp(new Date(Date.now() - 60_000)));
      // Host-level name match (`c-x` finds `c-x@fast`), filters.
      assert.equal((await clusterGetAll(db, { name: name.split('@')[0]! }, 60)).length, 1);
      assert.equal((await clusterGetAll(db, { name, is_up: true }, 60)).length, 0);
      assert.equal((await clusterGetAll(db, { name, num_hosts: 2, num_down_hosts: 2 }, 60)).length, 1);
      await clusterUpdate(db, s.id, { disabled: 1, disabled_reason: 'r' });
      assert.equal((await clusterGetAll(db, { name, disabled: true }, 60)).length, 1);
      assert.equal((await clusterGetAll(db, { name, binary: 'cinder-backup' }, 60)).length, 0);
    });

    test('a worker row is claimed by one of two services; a failed cleanup gives it back', async () => {
      const resource = randomUUID();
      await workerStart(db, {
        resource_type: 'Volume',
        resource_id: resource,
        status: 'creating',
        service_id: 7,
      });
      const [row] = await workerGetAll(db, { resource_id: resource });
      assert.ok(row);
      assert.equal(
        (await workerGetAll(db, { resource_id: resource, until: '2000-01-01T00:00:00.000000' })).length,
        0,
      );
      const claims = await Promise.all([
        workerClaimForCleanup(db, 8, row),
        workerClaimForCleanup(db, 9, row),
      ]);
      assert.deepEqual(claims.filter(Boolean).length, 1);
      const [claimed] = await workerGetAll(db, { resource_id: resource });
      assert.equal(claimed!.service_id, claims[0] ? 8 : 9);
      // A stale copy of the row cannot be claimed again.
      assert.equal(await workerClaimForCleanup(db, 10, row), false);
      await workerUnclaim(db, claimed!, row);
      const [back] = await workerGetAll(db, { resource_id: resource });
      assert.deepEqual([back!.service_id, back!.updated_at], [7, row.updated_at]);
      assert.equal(await workerClaimForCleanup(db, 10, back!), true);
    });
  });
}
