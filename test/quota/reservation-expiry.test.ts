/**
 * Reservations that nobody commits or rolls back (a request that died between reserve and commit)
 * are given back by the scheduler's periodic task once `reservation_expire` seconds have passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuotaEngine } from '../../src/quota/quota-engine.js';
import { startReservationExpiry } from '../../src/quota/reservation-expiry.js';
import { quotaDefaults } from '../../src/service/core.js';
import { startTestKindling, waitFor } from '../support/kindling.js';

const silent = { info: () => {}, warn: () => {} };

test("a running Kindling gives back a crashed request's reservation after reservation_expire", async (t) => {
  const k = await startTestKindling({ KINDLING__DEFAULT__reservation_expire: '2' });
  t.after(() => k.close());
  // The "crashed request": reserve, never commit nor roll back (done here on the service's database).
  const quotas = new QuotaEngine(k.core.dbh, {
    defaults: quotaDefaults(k.core.config),
    reservation_expire: k.core.config.DEFAULT.reservation_expire,
    use_default_quota_class: true,
  });
  await quotas.reserve('demo', { volumes: 1, gigabytes: 5 });
  const usage = async () => {
    const q = (await k.req('GET', '/v3/admin/os-quota-sets/demo?usage=true')).body.quota_set;
    return [q.volumes.reserved, q.gigabytes.reserved, q.volumes.in_use, q.gigabytes.in_use];
  };
  assert.deepEqual(await usage(), [1, 5, 0, 0]);
  // Reserved quota counts against the limit meanwhile.
  await k.req('PUT', '/v3/admin/os-quota-sets/demo', { quota_set: { gigabytes: 6 } });
  const refused = await k.req(
    'POST',
    '/v3/demo/volumes',
    { volume: { size: 2 } },
    { 'x-auth-token': 'u:demo' },
  );
  assert.equal(refused.status, 413);

  const started = Date.now();
  await waitFor(async () => (await usage()).every((n) => n === 0), 15_000);
  assert.ok(Date.now() - started >= 500, 'not given back before it expired');
  const left = await k.db
    .selectFrom('reservations')
    .select('id')
    .where('project_id', '=', 'demo')
    .where('deleted', '=', 0)
    .execute();
  assert.deepEqual(left, []);
  const ok = await k.req('POST', '/v3/demo/volumes', { volume: { size: 2 } }, { 'x-auth-token': 'u:demo' });
  assert.equal(ok.status, 202, ok.text);
});

test('the periodic task runs at once, then every interval, and stops when told', async (t) => {
  let runs = 0;
  const stop = startReservationExpiry(
    {
      expire: async () => {
        runs++;
        return 0;
      },
    },
    1,
    silent,
  );
  t.after(stop);
  await waitFor(async () => runs >= 1, 500);
  await waitFor(async () => runs >= 2, 2500);
  stop();
  const after = runs;
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(runs, after);
});

test('a failing run is logged and the next one still happens; runs never overlap', async (t) => {
  let calls = 0;
  let active = 0;
  let maxActive = 0;
  const warnings: unknown[] = [];
  const stop = startReservationExpiry(
    {
      expire: async () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          if (calls === 1) throw new Error('database went away');
          // A run slower than the interval: the next tick must not start a second one.
          await new Promise((r) => setTimeout(r, 1500));
          return 3;
        } finally {
          active--;
        }
      },
    },
    1,
    { info: () => {}, warn: (o: unknown) => void warnings.push(o) },
  );
  t.after(stop);
  await waitFor(async () => calls >= 2, 3000);
  await new Promise((r) => setTimeout(r, 1200));
  stop();
  assert.equal(warnings.length, 1);
  assert.equal(maxActive, 1);
});
