/**
 * The backup service as its own process (`kindling backup`) beside a distributed Kindling (api,
 * scheduler, two volume processes over RabbitMQ, on PostgreSQL): it asks the volume's backend for
 * the device over the bus, backs up and restores; stopped, new backups fail to schedule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { freshDatabaseUrl, unavailable } from '../support/dialects.js';
import { startCluster, RABBIT_URL, type Cluster } from '../support/cluster.js';
import { call, waitPools } from './cluster-client.js';
import { REPO_ROOT, baseServerEnv, waitForExit } from '../support/server-process.js';
import { parseTransportUrl } from '../../src/rpc/amqp/transport-url.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const volumeIn = (c: Cluster, id: string, statuses: string[]) =>
  until(`volume ${id} ${statuses.join('|')}\n${c.logs().slice(-3000)}`, async () => {
    const v = (await call(c, 'GET', `/v3/admin/volumes/${id}`)).body?.volume;
    return v && statuses.includes(v.status) ? v : undefined;
  });

const backupIn = (c: Cluster, id: string, statuses: string[]) =>
  until(`backup ${id} ${statuses.join('|')}`, async () => {
    const b = (await call(c, 'GET', `/v3/admin/backups/${id}`)).body?.backup;
    return b && statuses.includes(b.status) ? b : undefined;
  });

/** Starts `kindling backup` on the cluster's config; resolves once it serves. */
async function startBackupProcess(c: Cluster) {
  let out = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cmd/kindling.ts', 'backup', '--config-file', c.configPath],
    {
      cwd: REPO_ROOT,
      env: baseServerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  await until(
    `kindling backup to start:\n${out}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`kindling backup exited:\n${out}`);
      return /backup service is running/.test(out) ? true : undefined;
    },
    30_000,
  );
  return {
    logs: () => out,
    async stop() {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 40_000))) child.kill('SIGKILL');
    },
  };
}

const skip =
  (await unavailable('postgres')) ??
  (await new Promise<string | undefined>((done) => {
    const h = parseTransportUrl(RABBIT_URL).hosts[0]!;
    void import('node:net').then(({ connect }) => {
      const s = connect({ host: h.hostname, port: h.port });
      s.once('connect', () => (s.destroy(), done(undefined)));
      s.once('error', (e) => done(`RabbitMQ unreachable: ${e.message}`));
    });
  }));

test(
  'a separate kindling backup process backs up and restores volumes of the volume processes',
  { skip: skip ?? false, timeout: 300_000 },
  async (t) => {
    const db = await freshDatabaseUrl('postgres');
    const c = await startCluster({ databaseUrl: db.url });
    const backup = await startBackupProcess(c).catch(async (e: unknown) => {
      await c.stop();
      await db.drop();
      throw e;
    });
    t.after(async () => {
      await backup.stop();
      await c.stop();
      await db.drop();
    });
    const services = await until('cinder-backup up', async () => {
      const s = (await call(c, 'GET', '/v3/admin/os-services?binary=cinder-backup')).body.services;
      return s.length === 1 && s[0].state === 'up' ? s : undefined;
    });
    assert.equal(services[0].zone, 'nova');

    await waitPools(c, 2, 60_000);
    const created = await call(c, 'POST', '/v3/admin/volumes', { volume: { size: 1, name: 'dsrc' } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const v = await volumeIn(c, created.body.volume.id, ['available']);
    const backend = /@(\w+)#/.exec(v['os-vol-host-attr:host'])![1]!;
    const data = Buffer.from('written before the backup, read after the restore '.repeat(100));
    const fh = await open(join(c.stateDir, 'volumes', backend, `volume-${v.id}`), 'r+');
    await fh.write(data, 0, data.length, 1024 * 1024);
    await fh.close();

    const b = await call(c, 'POST', '/v3/admin/backups', { backup: { volume_id: v.id, name: 'dist' } });
    assert.equal(b.status, 202, JSON.stringify(b.body));
    const done = await backupIn(c, b.body.backup.id, ['available', 'error']);
    assert.equal(done.status, 'available', `${done.fail_reason}\n${backup.logs().slice(-3000)}`);

    const r = await call(c, 'POST', `/v3/admin/backups/${done.id}/restore`, { restore: {} });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const nv = await volumeIn(c, r.body.restore.volume_id, ['available', 'error', 'error_restoring']);
    assert.equal(nv.status, 'available', backup.logs().slice(-3000));
    const nb = /@(\w+)#/.exec(nv['os-vol-host-attr:host'])![1]!;
    const rh = await open(join(c.stateDir, 'volumes', nb, `volume-${nv.id}`), 'r');
    const back = Buffer.alloc(data.length);
    await rh.read(back, 0, back.length, 1024 * 1024);
    await rh.close();
    assert.deepEqual(back, data);

    // With the backup process stopped, a new backup fails to schedule and the volume is untouched.
    await backup.stop();
    const later = await call(c, 'POST', '/v3/admin/backups', { backup: { volume_id: v.id } });
    assert.equal(later.status, 202);
    const failed = await backupIn(c, later.body.backup.id, ['error']);
    assert.equal(failed.fail_reason, 'Service not found for creating backup.');
    assert.equal((await volumeIn(c, v.id, ['available'])).status, 'available');
  },
);
