import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling, waitForVolumeStatus } from '../support/kindling.js';
import { SchedulerManager } from '../../src/scheduler/manager.js';
import { FileDriver } from '../../src/volume/drivers/file-driver.js';
import type { VolumeStats } from '../../src/volume/driver.js';
import type { BackendSectionOptions } from '../../src/volume/drivers/index.js';

const N = 6;

/** A file backend that reports room for exactly N GiB (thin, no over-subscription). */
class SmallFileDriver extends FileDriver {
  override async getVolumeStats(refresh: boolean): Promise<VolumeStats> {
    const s = await super.getVolumeStats(refresh);
    s.pools[0]!.total_capacity_gb = N;
    s.pools[0]!.free_capacity_gb = N;
    return s;
  }
}

test(`two schedulers, a backend with room for ${N} GiB, ${4 * N} concurrent 1 GiB creates → exactly ${N} placed`, async (t) => {
  const kt = await startTestKindling(
    {
      KINDLING__DEFAULT__max_over_subscription_ratio: '1.0',
      KINDLING__DEFAULT__quota_volumes: '-1',
      KINDLING__DEFAULT__quota_gigabytes: '-1',
    },
    { driverFactory: (s: BackendSectionOptions) => new SmallFileDriver(s) },
  );
  // A second scheduler with its own view of the backend: both believe all N GiB are free.
  const second = new SchedulerManager(kt.core);
  await second.start();
  t.after(async () => {
    await second.stop();
    await kt.close();
  });
  await new Promise((r) => setTimeout(r, 50));
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
  const placedGb = await kt.core.dbh.db
    .selectFrom('volumes')
    .select((eb) => eb.fn.sum<number>('size').as('gb'))
    .where('deleted', '=', 0)
    .where('host', 'is not', null)
    .executeTakeFirst();
  assert.equal(Number(placedGb?.gb), N, 'no backend holds more than its capacity');
  const msgs = await kt.req('GET', '/v3/admin/messages', undefined, {
    'openstack-api-version': 'volume 3.3',
  });
  assert.equal(msgs.body.messages.length, 3 * N);
  for (const m of msgs.body.messages) assert.equal(m.event_id, 'VOLUME_VOLUME_001_003');
});
