/**
 * Two schedulers placing at once cannot overfill a backend: the final capacity claim is checked
 * against the database. Embedded: two schedulers in one process; distributed: two processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, waitFor, waitForVolumeStatus } from '../support/kindling.js';

const N = 6;

test(`two schedulers, a backend with room for ${N} GiB, ${4 * N} concurrent 1 GiB creates → exactly ${N} placed`, async (t) => {
  const kt = await startTestKindling(
    {
      KINDLING__DEFAULT__max_over_subscription_ratio: '1.0',
      KINDLING__DEFAULT__quota_volumes: '-1',
      KINDLING__DEFAULT__quota_gigabytes: '-1',
    },
    // The backend reports room for exactly N GiB (thin, no over-subscription), and a second
    // scheduler has its own view of it: both believe all N GiB are free.
    { driverFaults: { '*': { capacityGb: N } }, schedulers: 2 },
  );
  t.after(() => kt.close());
  const ids = await Promise.all(
    Array.from({ length: 4 * N }, async () => {
      const r = await kt.req('POST', '/v3/admin/volumes', { volume: { size: 1 } });
      assert.equal(r.status, 202);
      return r.body.volume.id as string;
    }),
  );
  const final = await Promise.all(ids.map((id) => waitForVolumeStatus(kt, id, ['available', 'error'])));
  const available = final.filter((v) => v.status === 'available');
  assert.equal(available.length, N, `placed: ${available.length}`);
  const placedGb = await kt.db
    .selectFrom('volumes')
    .select((eb) => eb.fn.sum<number>('size').as('gb'))
    .where('deleted', '=', 0)
    .where('host', 'is not', null)
    .executeTakeFirst();
  assert.equal(Number(placedGb?.gb), N, 'no backend holds more than its capacity');
  // NOTE: the scheduler sets `error` first and writes the message right after.
  const msgs = await waitFor(async () => {
    const r = await kt.req('GET', '/v3/admin/messages', undefined, mv('3.3'));
    return r.body.messages.length >= 3 * N && r;
  });
  assert.equal(msgs.body.messages.length, 3 * N);
  for (const m of msgs.body.messages) assert.equal(m.event_id, 'VOLUME_VOLUME_001_003');
});
