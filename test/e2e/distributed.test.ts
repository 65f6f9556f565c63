/**
 * The spine in the distributed mode: api, scheduler and two volume services as separate OS
 * processes over RabbitMQ, on PostgreSQL and on MariaDB.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabaseUrl, unavailable } from '../support/dialects.js';
import { E2E_TUNING, startCluster, type Cluster } from '../support/cluster.js';
import { call, waitPools } from './cluster-client.js';

async function waitStatus(c: Cluster, id: string, statuses: string[], ms = 30_000): Promise<any> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await call(c, 'GET', `/v3/admin/volumes/${id}`);
    if (r.status === 200 && statuses.includes(r.body.volume.status)) return r.body.volume;
    if (r.status === 404 && statuses.includes('deleted')) return null;
    if (Date.now() > end) {
      const related = c
        .logs()
        .split('\n')
        .filter((l) => l.includes(id) || l.startsWith('=====') || l.includes('"level":50'));
      throw new Error(`volume ${id} stuck: ${JSON.stringify(r.body)}\n${related.join('\n').slice(-8000)}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Waits until `os-services` shows the backend's volume service up and the schedulers' 1 s cache has passed. */
async function waitServiceUp(c: Cluster, backend: string): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const services = (await call(c, 'GET', '/v3/admin/os-services?binary=cinder-volume')).body.services ?? [];
    if (
      services.some(
        (s: { host: string; state: string }) => s.host.endsWith(`@${backend}`) && s.state === 'up',
      )
    )
      break;
    if (Date.now() > end) throw new Error(`volume service ${backend} never came up`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1500));
}

async function rabbitDown(): Promise<string | undefined> {
  const { createConnection } = await import('node:net');
  return new Promise((done) => {
    const s = createConnection({ host: '127.0.0.1', port: 5672 });
    s.once('connect', () => {
      s.destroy();
      done(undefined);
    });
    s.once('error', () => done('RabbitMQ is not reachable on 127.0.0.1:5672'));
  });
}

const RABBIT_SKIP = await rabbitDown();
const SKIP = {
  postgres: (await unavailable('postgres')) ?? RABBIT_SKIP,
  mysql: (await unavailable('mysql')) ?? RABBIT_SKIP,
};

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`distributed mode on ${dialect} + RabbitMQ`, () => {
    const skip = SKIP[dialect];
    test(
      'create lands on the backend its type names, reaches available, delete frees the file and the quota',
      { skip: skip ?? false, timeout: 120_000 },
      async (t) => {
        const db = await freshDatabaseUrl(dialect);
        const c = await startCluster({ databaseUrl: db.url });
        t.after(async () => {
          await c.stop();
          await db.drop();
        });
        await waitPools(c, 2);
        const type = await call(c, 'POST', '/v3/admin/types', {
          volume_type: { name: 'on-beta', extra_specs: { volume_backend_name: 'beta' } },
        });
        assert.equal(type.status, 200);
        const r = await call(c, 'POST', '/v3/admin/volumes', {
          volume: { size: 1, name: 'dist', volume_type: 'on-beta' },
        });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        const v = await waitStatus(c, r.body.volume.id, ['available', 'error']);
        assert.equal(v.status, 'available', c.logs().slice(-3000));
        assert.match(v['os-vol-host-attr:host'], /@beta#beta$/);
        const file = join(c.stateDir, 'volumes', 'beta', `volume-${v.id}`);
        assert.ok(existsSync(file));
        assert.equal((await call(c, 'DELETE', `/v3/admin/volumes/${v.id}`)).status, 202);
        await waitStatus(c, v.id, ['deleted']);
        assert.ok(!existsSync(file));
        const q = (await call(c, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
        assert.deepEqual([q.volumes.in_use, q.gigabytes.in_use, q.volumes.reserved], [0, 0, 0]);
        const services = (await call(c, 'GET', '/v3/admin/os-services')).body.services;
        assert.deepEqual(
          services.map((s: { binary: string; state: string }) => `${s.binary}:${s.state}`).sort(),
          ['cinder-scheduler:up', 'cinder-volume:up', 'cinder-volume:up'],
        );
      },
    );
  });
}

const BOUNDARIES = [
  'ExtractVolumeRefTask',
  'OnFailureRescheduleTask',
  'ExtractVolumeSpecTask',
  'NotifyVolumeActionTask:create.start',
  'CreateVolumeFromSpecTask',
  'CreateVolumeOnFinishTask',
].flatMap((task) => [`${task}:start`, `${task}:end`]);

describe('a volume process killed (-9) at each task boundary of the manager flow', () => {
  const skip = SKIP.postgres;
  test(
    'after a restart no volume is stuck and quota is exact',
    { skip: skip ?? false, timeout: 600_000 },
    async (t) => {
      const db = await freshDatabaseUrl('postgres');
      const c = await startCluster({ databaseUrl: db.url });
      t.after(async () => {
        await c.stop();
        await db.drop();
      });
      await waitPools(c, 2);
      await call(c, 'POST', '/v3/admin/types', {
        volume_type: { name: 'on-alpha', extra_specs: { volume_backend_name: 'alpha' } },
      });
      const ids: string[] = [];
      for (const point of BOUNDARIES) {
        await c.services.get('volume-alpha')!.stop();
        const doomed = await c.startVolume('alpha', { KINDLING_TEST_KILL_AT: point });
        await waitServiceUp(c, 'alpha');
        const r = await call(c, 'POST', '/v3/admin/volumes', {
          volume: { size: 1, volume_type: 'on-alpha', name: point },
        });
        assert.equal(r.status, 202);
        ids.push(r.body.volume.id);
        assert.ok(await doomed.exited(30_000), `the volume process was not killed at ${point}`);
        assert.equal(doomed.child.signalCode, 'SIGKILL');
        await c.startVolume('alpha');
        const v = await waitStatus(c, r.body.volume.id, ['available', 'error']);
        assert.equal(v.status, 'available', `${point}: ${JSON.stringify(v)}`);
        assert.ok(existsSync(join(c.stateDir, 'volumes', 'alpha', `volume-${v.id}`)), point);
      }
      const list = (await call(c, 'GET', '/v3/admin/volumes/detail')).body.volumes;
      assert.deepEqual(
        list.filter((v: { status: string }) => v.status !== 'available'),
        [],
      );
      const q = (await call(c, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
      assert.deepEqual(
        [q.volumes.in_use, q.gigabytes.in_use, q.volumes.reserved, q.gigabytes.reserved],
        [ids.length, ids.length, 0, 0],
      );
    },
  );
});

describe('RabbitMQ restarts during a burst of 100 creates', () => {
  const skip = SKIP.postgres;
  test(
    'every volume ends available or in error with a message; none stuck; quota exact',
    { skip: skip ?? false, timeout: 300_000 },
    async (t) => {
      const db = await freshDatabaseUrl('postgres');
      const c = await startCluster({ databaseUrl: db.url });
      t.after(async () => {
        await c.stop();
        await db.drop();
      });
      await waitPools(c, 2);
      const { execFile } = await import('node:child_process');
      const { promisify } = await import('node:util');
      const run = promisify(execFile);
      const restart: { done: Promise<unknown> } = { done: Promise.resolve() };
      const ids = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          if (i === 30)
            restart.done = (async () => {
              await run('rabbitmqctl', ['stop_app']);
              await new Promise((r) => setTimeout(r, 2000));
              await run('rabbitmqctl', ['start_app']);
            })();
          await new Promise((r) => setTimeout(r, i * 20));
          const r = await call(c, 'POST', '/v3/admin/volumes', { volume: { size: 1, name: `burst-${i}` } });
          assert.equal(r.status, 202, JSON.stringify(r.body));
          return r.body.volume.id as string;
        }),
      );
      await restart.done;
      const final = await Promise.all(ids.map((id) => waitStatus(c, id, ['available', 'error'], 120_000)));
      const errored = final.filter((v) => v.status === 'error');
      for (const v of errored) {
        const m = (await call(c, 'GET', `/v3/admin/messages?resource_uuid=${v.id}`)).body.messages;
        assert.ok(m.length > 0, `volume ${v.id} in error without a message`);
      }
      const q = (await call(c, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
      assert.deepEqual([q.volumes.in_use, q.gigabytes.in_use, q.volumes.reserved], [100, 100, 0]);
      t.diagnostic(`available ${final.length - errored.length}, error ${errored.length}`);
      // Then 100 concurrent deletes: each releases its quota exactly once; none is left deleting.
      await Promise.all(
        ids.map(async (id) => assert.equal((await call(c, 'DELETE', `/v3/admin/volumes/${id}`)).status, 202)),
      );
      await Promise.all(ids.map((id) => waitStatus(c, id, ['deleted'], 120_000)));
      const after = (await call(c, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
      assert.deepEqual([after.volumes.in_use, after.gigabytes.in_use, after.volumes.reserved], [0, 0, 0]);
    },
  );
});

describe('two scheduler processes and a backend with room for exactly N GiB', () => {
  const N = 6;
  const mountable = process.getuid?.() === 0;
  const skip = SKIP.postgres ?? (mountable ? undefined : 'needs root to mount a tmpfs of exactly N GiB');
  test(
    `${4 * N} concurrent 1 GiB creates → exactly ${N} placed, the rest error with a message`,
    { skip: skip ?? false, timeout: 300_000 },
    async (t) => {
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { execFileSync } = await import('node:child_process');
      const dir = mkdtempSync(join(tmpdir(), 'kindling-small-'));
      // A real filesystem of exactly N GiB; thin provisioning with no over-subscription.
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${N}G`, 'tmpfs', dir]);
      const db = await freshDatabaseUrl('postgres');
      const c = await startCluster({
        databaseUrl: db.url,
        backends: ['alpha'],
        schedulers: 2,
        volumeDirs: { alpha: dir },
        extraConfig: '[alpha]\nmax_over_subscription_ratio = 1.0\n',
      });
      t.after(async () => {
        await c.stop();
        await db.drop();
        execFileSync('umount', [dir]);
        rmSync(dir, { recursive: true, force: true });
      });
      await waitPools(c, 1);
      await new Promise((r) => setTimeout(r, 1000)); // both schedulers have heard the backend
      const ids = await Promise.all(
        Array.from({ length: 4 * N }, async () => {
          const r = await call(c, 'POST', '/v3/admin/volumes', { volume: { size: 1 } });
          assert.equal(r.status, 202, JSON.stringify(r.body));
          return r.body.volume.id as string;
        }),
      );
      const final = await Promise.all(ids.map((id) => waitStatus(c, id, ['available', 'error'], 120_000)));
      assert.equal(final.filter((v) => v.status === 'available').length, N);
      for (const v of final.filter((x) => x.status === 'error')) {
        const m = (await call(c, 'GET', `/v3/admin/messages?resource_uuid=${v.id}`)).body.messages;
        assert.equal(m[0]?.event_id, 'VOLUME_VOLUME_001_003');
      }
      const logs = c.logs();
      assert.ok(/scheduler-2/.test(logs) || c.services.has('scheduler-2'));
    },
  );
});

describe('an active-active cluster of two volume processes for one backend', () => {
  const skip = SKIP.postgres;
  test(
    'both members take creates from the cluster queue; when one is killed mid-create the other finishes it',
    { skip: skip ?? false, timeout: 300_000 },
    async (t) => {
      const db = await freshDatabaseUrl('postgres');
      const c = await startCluster({
        databaseUrl: db.url,
        backends: ['alpha'],
        host: 'node-a',
        env: { KINDLING__DEFAULT__host: 'node-a' },
        tuning: { ...E2E_TUNING, cluster: 'c1', service_down_time: '6' },
      });
      t.after(async () => {
        await c.stop();
        await db.drop();
      });
      await c.startVolume('alpha', { KINDLING__DEFAULT__host: 'node-b' }, 'volume-alpha-b');
      await waitPools(c, 1);
      const pools = (await call(c, 'GET', '/v3/admin/scheduler-stats/get_pools')).body.pools;
      assert.deepEqual(
        pools.map((p: { name: string }) => p.name),
        ['c1@alpha#alpha'],
      );

      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: 12 }, async () => {
          const r = await call(c, 'POST', '/v3/admin/volumes', { volume: { size: 1 } });
          assert.equal(r.status, 202);
          ids.push(r.body.volume.id);
        }),
      );
      const hosts = new Set<string>();
      for (const id of ids) {
        const v = await waitStatus(c, id, ['available', 'error']);
        assert.equal(v.status, 'available');
        assert.equal(v.cluster_name, 'c1@alpha#alpha');
        hosts.add(v['os-vol-host-attr:host']);
      }
      assert.deepEqual([...hosts].sort(), ['node-a@alpha#alpha', 'node-b@alpha#alpha']);

      // node-a dies (-9) in the middle of a create; node-b finishes it with node-a still down.
      await c.services.get('volume-alpha')!.stop();
      const doomed = await c.startVolume('alpha', {
        KINDLING__DEFAULT__host: 'node-a',
        KINDLING_TEST_KILL_AT: 'CreateVolumeFromSpecTask:start',
      });
      await waitServiceUp(c, 'alpha');
      let victim: string | null = null;
      for (let i = 0; i < 20 && !victim; i++) {
        const r = await call(c, 'POST', '/v3/admin/volumes', { volume: { size: 1 } });
        ids.push(r.body.volume.id);
        if (await doomed.exited(i < 19 ? 1500 : 30_000)) victim = r.body.volume.id;
      }
      assert.ok(victim, 'node-a never took a create');
      assert.equal(doomed.child.signalCode, 'SIGKILL');
      for (const id of ids) {
        const v = await waitStatus(c, id, ['available', 'error'], 60_000);
        assert.equal(v.status, 'available', JSON.stringify(v));
      }
      const taken = (await call(c, 'GET', `/v3/admin/volumes/${victim}`)).body.volume;
      assert.equal(taken['os-vol-host-attr:host'], 'node-b@alpha#alpha');
      assert.ok(existsSync(join(c.stateDir, 'volumes', 'alpha', `volume-${victim}`)));
      const q = (await call(c, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
      assert.deepEqual(
        [q.volumes.in_use, q.gigabytes.in_use, q.volumes.reserved, q.gigabytes.reserved],
        [ids.length, ids.length, 0, 0],
      );
    },
  );
});
