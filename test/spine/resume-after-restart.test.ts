import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { startEmbedded, type Embedded } from '../../src/service/embedded.js';

async function start(stateDir: string): Promise<Embedded> {
  return startEmbedded(loadConfig({ env: { KINDLING_STATE_DIR: stateDir } }), {
    log: pino({ level: 'silent' }),
  });
}

async function req(k: Embedded, method: string, url: string, body?: unknown) {
  const r = await k.app.inject({
    method: method as 'GET',
    url,
    headers: { 'x-auth-token': 'admin:admin', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
}

async function until(fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a volume service that stopped mid-create or mid-delete finishes the work when it starts again', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kindling-resume-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  let k = await start(stateDir);
  await until(
    async () => ((await req(k, 'GET', '/v3/admin/scheduler-stats/get_pools')).body.pools?.length ?? 0) > 0,
  );
  const a = (await req(k, 'POST', '/v3/admin/volumes', { volume: { size: 1, name: 'was-creating' } })).body
    .volume.id as string;
  const b = (await req(k, 'POST', '/v3/admin/volumes', { volume: { size: 2, name: 'was-deleting' } })).body
    .volume.id as string;
  await until(
    async () =>
      (await req(k, 'GET', `/v3/admin/volumes/${b}`)).body.volume.status === 'available' &&
      (await req(k, 'GET', `/v3/admin/volumes/${a}`)).body.volume.status === 'available',
  );
  // Make the database look as a crash would leave it: `a` scheduled but its file never made,
  // `b` already `deleting` but its file still there.
  await k.core.dbh.db.updateTable('volumes').set({ status: 'creating' }).where('id', '=', a).execute();
  unlinkSync(join(stateDir, 'volumes', `volume-${a}`));
  await k.core.dbh.db.updateTable('volumes').set({ status: 'deleting' }).where('id', '=', b).execute();
  await k.close();

  k = await start(stateDir);
  t.after(() => k.close());
  const va = (await req(k, 'GET', `/v3/admin/volumes/${a}`)).body.volume;
  assert.equal(va.status, 'available');
  assert.ok(existsSync(join(stateDir, 'volumes', `volume-${a}`)));
  assert.equal((await req(k, 'GET', `/v3/admin/volumes/${b}`)).status, 404);
  assert.ok(!existsSync(join(stateDir, 'volumes', `volume-${b}`)));
  const q = (await req(k, 'GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
  assert.deepEqual(
    [q.volumes.in_use, q.gigabytes.in_use, q.volumes.reserved, q.gigabytes.reserved],
    [1, 1, 0, 0],
  );
  const workers = await k.core.dbh.db.selectFrom('workers').selectAll().execute();
  assert.deepEqual(workers, []);
});
