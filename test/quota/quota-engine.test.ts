/**
 * QuotaEngine (src/quota/quota-engine.ts): reserve, commit, rollback, limits and expiry on an
 * in-memory SQLite database, then on every dialect with its concurrency guarantees: reserves from
 * several connections (several processes on SQLite) never exceed a limit nor lose an update.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { QuotaEngine, type QuotaOptions } from '../../src/quota/quota-engine.js';
import { OverQuota, overQuotaToError } from '../../src/quota/over-quota.js';
import { VolumeSizeExceedsLimit } from '../../src/common/errors.js';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';

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

// On every dialect.

const run = promisify(execFile);
const OPTS: QuotaOptions = {
  defaults: { volumes: 10, gigabytes: 100, snapshots: 10, per_volume_gigabytes: -1 },
  reservation_expire: 86400,
  use_default_quota_class: false,
};

async function usageRows(h: DatabaseHandle, project: string) {
  return h.db
    .selectFrom('quota_usages')
    .select(['resource', 'in_use', 'reserved'])
    .where('project_id', '=', project)
    .where('deleted', '=', 0)
    .orderBy('resource')
    .execute();
}

for (const dialect of DIALECTS) {
  describe(`quota engine [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let q: QuotaEngine;
    before(async () => {
      t = await openFreshDatabase(dialect);
      q = new QuotaEngine(t.handle, OPTS);
    });
    after(() => t?.close());

    test('reserve, commit, rollback, limits and usages as numbers', async () => {
      const r1 = await q.reserve('p1', { volumes: 1, gigabytes: 5 });
      const r2 = await q.reserve('p1', { volumes: 1, gigabytes: 7 });
      let u = await q.projectQuotas('p1');
      assert.deepEqual(u.volumes, { limit: 10, in_use: 0, reserved: 2, allocated: 0 });
      await q.commit(r1);
      await q.rollback(r2);
      await q.commit(r2); // already rolled back: nothing happens
      u = await q.projectQuotas('p1');
      assert.deepEqual(u.volumes, { limit: 10, in_use: 1, reserved: 0, allocated: 0 });
      assert.deepEqual(u.gigabytes, { limit: 100, in_use: 5, reserved: 0, allocated: 0 });
      await q.reserveAndCommit('p1', { volumes: -1, gigabytes: -5 });
      assert.deepEqual(await usageRows(t.handle, 'p1'), [
        { resource: 'gigabytes', in_use: 0, reserved: 0 },
        { resource: 'volumes', in_use: 0, reserved: 0 },
      ]);
    });

    test('over quota and per-volume size; project limits set and reset', async () => {
      await q.setProjectLimits('p2', { volumes: 1, per_volume_gigabytes: 4 });
      await q.setProjectLimits('p2', { volumes: 2 });
      assert.equal((await q.projectQuotas('p2')).volumes?.limit, 2);
      await assert.rejects(
        q.reserve('p2', { volumes: 1 }, { perVolumeGigabytes: 5 }),
        VolumeSizeExceedsLimit,
      );
      await assert.rejects(q.checkPerVolumeSize('p2', 5), VolumeSizeExceedsLimit);
      await q.commit(await q.reserve('p2', { volumes: 2 }));
      await assert.rejects(q.reserve('p2', { volumes: 1, gigabytes: 1 }), (e: unknown) => {
        assert.ok(e instanceof OverQuota);
        assert.deepEqual(e.overs, ['volumes']);
        return true;
      });
      assert.deepEqual(await usageRows(t.handle, 'p2'), [
        { resource: 'gigabytes', in_use: 0, reserved: 0 },
        { resource: 'volumes', in_use: 2, reserved: 0 },
      ]);
      await q.resetProjectLimits('p2');
      assert.equal((await q.projectQuotas('p2')).volumes?.limit, 10);
      assert.deepEqual(await q.defaults(), {
        ...Object.fromEntries((await q.resourceNames()).map((n) => [n, -1])),
        ...OPTS.defaults,
      });
    });

    test("class default limits, then a project's own, decide a reserve", async () => {
      const withClass = new QuotaEngine(t.handle, { ...OPTS, use_default_quota_class: true });
      await withClass.setClassLimits('default', { volumes: 1, gigabytes: 2, per_volume_gigabytes: 2 });
      await withClass.setProjectLimits('pc-own', { volumes: 3, per_volume_gigabytes: 9 });
      // Class limits over config defaults: one volume, two gigabytes, two per volume.
      await withClass.commit(await withClass.reserve('pc-class', { volumes: 1, gigabytes: 2 }));
      await assert.rejects(withClass.reserve('pc-class', { volumes: 1 }), OverQuota);
      await assert.rejects(withClass.checkPerVolumeSize('pc-class', 3), VolumeSizeExceedsLimit);
      // The project's own rows over the class: three volumes, nine per volume; gigabytes still the class's.
      await withClass.commit(await withClass.reserve('pc-own', { volumes: 3 }, { perVolumeGigabytes: 3 }));
      await assert.rejects(withClass.reserve('pc-own', { gigabytes: 3 }), OverQuota);
      // Without the class, the config defaults and the project's rows.
      await q.commit(await q.reserve('pc-class', { volumes: 1, gigabytes: 3 }, { perVolumeGigabytes: 3 }));
      await withClass.setClassLimits('default', { volumes: 10, gigabytes: 100, per_volume_gigabytes: -1 });
    });

    test('expired reservations are rolled back', async () => {
      const r = await q.reserve('p3', { volumes: 3 });
      assert.equal(await q.expire(new Date(Date.now() - 1000)), 0);
      assert.equal(await q.expire(new Date(Date.now() + 2 * 86400 * 1000)), 1);
      assert.deepEqual(await usageRows(t.handle, 'p3'), [{ resource: 'volumes', in_use: 0, reserved: 0 }]);
      await q.commit(r);
      assert.deepEqual(await usageRows(t.handle, 'p3'), [{ resource: 'volumes', in_use: 0, reserved: 0 }]);
    });

    test('50 concurrent reserves against a limit of 20 from 5 connections: exactly 20 succeed', async () => {
      const project = 'pconc';
      await q.setProjectLimits(project, { volumes: 20, gigabytes: 1000 });
      let ok = 0;
      let over = 0;
      const ids: string[][] = [];
      if (dialect === 'sqlite') {
        // NOTE: one process cannot hold two SQLite write transactions at once (better-sqlite3 blocks
        // the thread while it waits), so the 5 connections are 5 processes, as in a real deployment.
        const child = fileURLToPath(new URL('./quota-reserve-child.ts', import.meta.url));
        const outs = await Promise.all(
          [0, 1, 2, 3, 4].map(() =>
            run(process.execPath, ['--import', 'tsx', child, t.url, project, '10'], { timeout: 60_000 }),
          ),
        );
        for (const o of outs) {
          const r = JSON.parse(o.stdout) as { ok: number; over: number };
          ok += r.ok;
          over += r.over;
        }
      } else {
        const engines = [
          q,
          ...(await Promise.all([1, 2, 3, 4].map(async () => new QuotaEngine(await t.open(), OPTS)))),
        ];
        await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            try {
              ids.push(await engines[i % 5]!.reserve(project, { volumes: 1, gigabytes: 1 }));
              ok++;
            } catch (e) {
              if (!(e instanceof OverQuota)) throw e;
              over++;
            }
          }),
        );
      }
      assert.deepEqual({ ok, over }, { ok: 20, over: 30 });
      assert.deepEqual(await usageRows(t.handle, project), [
        { resource: 'gigabytes', in_use: 0, reserved: 20 },
        { resource: 'volumes', in_use: 0, reserved: 20 },
      ]);
      const reservations = await t.handle.db
        .selectFrom('reservations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('project_id', '=', project)
        .where('deleted', '=', 0)
        .executeTakeFirstOrThrow();
      assert.equal(Number(reservations.n), 40);
      if (dialect !== 'sqlite') {
        // Commits racing each other (and a duplicate rollback of one) lose no update.
        const engines = [q, new QuotaEngine(await t.open(), OPTS)];
        await Promise.all([...ids.map((r, i) => engines[i % 2]!.commit(r)), engines[1]!.rollback(ids[0]!)]);
        const rows = await usageRows(t.handle, project);
        const committed = rows.find((r) => r.resource === 'volumes')!;
        assert.equal(committed.reserved, 0);
        assert.ok(committed.in_use === 20 || committed.in_use === 19, `in_use ${committed.in_use}`);
        assert.deepEqual(
          rows.map((r) => r.in_use),
          [committed.in_use, committed.in_use],
        );
      }
    });
  });
}
