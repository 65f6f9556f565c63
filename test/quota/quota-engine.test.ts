import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { QuotaEngine } from '../../src/quota/quota-engine.js';
import { OverQuota, overQuotaToError } from '../../src/quota/over-quota.js';
import { VolumeSizeExceedsLimit } from '../../src/common/errors.js';

async function engine(
  defaults: Record<string, number> = { volumes: 10, gigabytes: 100, per_volume_gigabytes: -1 },
  reservation_expire = 86400,
): Promise<{ q: QuotaEngine; h: DatabaseHandle }> {
  const h = await openDatabase('sqlite://');
  await migrateToLatest(h, {
    defaultVolumeTypeId: 'd0d0d0d0-0000-0000-0000-000000000000',
    quotaClassDefaults: {},
  });
  return { q: new QuotaEngine(h, { defaults, reservation_expire, use_default_quota_class: true }), h };
}

const usage = async (q: QuotaEngine, p = 'p1') => {
  const all = await q.projectQuotas(p);
  return { volumes: all.volumes!, gigabytes: all.gigabytes! };
};

test('reserve counts as reserved; commit moves it to in_use; rollback releases it', async (t) => {
  const { q, h } = await engine();
  t.after(() => h.close());
  const r1 = await q.reserve('p1', { volumes: 1, gigabytes: 5 });
  let u = await usage(q);
  assert.deepEqual([u.volumes.in_use, u.volumes.reserved, u.gigabytes.reserved], [0, 1, 5]);
  await q.commit(r1);
  u = await usage(q);
  assert.deepEqual(
    [u.volumes.in_use, u.volumes.reserved, u.gigabytes.in_use, u.gigabytes.reserved],
    [1, 0, 5, 0],
  );
  const r2 = await q.reserve('p1', { volumes: 1, gigabytes: 7 });
  await q.rollback(r2);
  u = await usage(q);
  assert.deepEqual(
    [u.volumes.in_use, u.volumes.reserved, u.gigabytes.in_use, u.gigabytes.reserved],
    [1, 0, 5, 0],
  );
  await q.commit(r2); // already rolled back: no effect
  assert.equal((await usage(q)).gigabytes.in_use, 5);
  await q.reserveAndCommit('p1', { volumes: -1, gigabytes: -5 });
  u = await usage(q);
  assert.deepEqual([u.volumes.in_use, u.gigabytes.in_use], [0, 0]);
});

test('over the limit: OverQuota names the resource, nothing is reserved', async (t) => {
  const { q, h } = await engine({ volumes: 2, gigabytes: 10 });
  t.after(() => h.close());
  await q.commit(await q.reserve('p1', { volumes: 1, gigabytes: 8 }));
  await assert.rejects(q.reserve('p1', { volumes: 1, gigabytes: 3 }), (e: unknown) => {
    assert.ok(e instanceof OverQuota);
    assert.deepEqual(e.overs, ['gigabytes']);
    const err = overQuotaToError(e, { volumes: 1, gigabytes: 3 });
    assert.equal(
      err.message,
      'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 10G and 8G has been consumed.',
    );
    return true;
  });
  const u = await usage(q);
  assert.deepEqual([u.volumes.reserved, u.gigabytes.reserved], [0, 0]);
});

test('-1 is unlimited; project limits override defaults; per-volume limit is checked at reserve', async (t) => {
  const { q, h } = await engine({ volumes: -1, gigabytes: -1, per_volume_gigabytes: -1 });
  t.after(() => h.close());
  await q.commit(await q.reserve('p1', { volumes: 500, gigabytes: 100000 }));
  await q.setProjectLimits('p2', { volumes: 1, per_volume_gigabytes: 4 });
  await assert.rejects(
    q.reserve('p2', { volumes: 1, gigabytes: 5 }, { perVolumeGigabytes: 5 }),
    VolumeSizeExceedsLimit,
  );
  await q.commit(await q.reserve('p2', { volumes: 1, gigabytes: 4 }, { perVolumeGigabytes: 4 }));
  await assert.rejects(q.reserve('p2', { volumes: 1, gigabytes: 1 }), OverQuota);
  await q.resetProjectLimits('p2');
  await q.reserve('p2', { volumes: 1, gigabytes: 1 });
});

test('expired reservations are rolled back by expire()', async (t) => {
  const { q, h } = await engine({ volumes: 1, gigabytes: 10 }, 1);
  t.after(() => h.close());
  await q.reserve('p1', { volumes: 1, gigabytes: 1 });
  await assert.rejects(q.reserve('p1', { volumes: 1, gigabytes: 1 }), OverQuota);
  assert.equal(await q.expire(new Date(Date.now() + 500)), 0, 'not yet expired');
  assert.equal(await q.expire(new Date(Date.now() + 2000)), 2);
  assert.equal((await usage(q)).volumes.reserved, 0);
  await q.reserve('p1', { volumes: 1, gigabytes: 1 });
});

test('property: any sequence of reserve/commit/rollback keeps usage equal to the committed sum', async () => {
  const { q, h } = await engine({ volumes: -1, gigabytes: -1 });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 50 }), commit: fc.boolean() }), {
          maxLength: 12,
        }),
        async (ops) => {
          const before = (await usage(q)).gigabytes.in_use;
          let committed = 0;
          for (const op of ops) {
            const r = await q.reserve('p1', { gigabytes: op.size });
            if (op.commit) {
              await q.commit(r);
              committed += op.size;
            } else await q.rollback(r);
          }
          const u = await usage(q);
          assert.equal(u.gigabytes.in_use, before + committed);
          assert.equal(u.gigabytes.reserved, 0);
        },
      ),
      { numRuns: 40 },
    );
  } finally {
    await h.close();
  }
});
