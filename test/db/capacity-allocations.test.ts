/**
 * `capacity_allocations` (migration 014): the GiB placed per host and per cluster, kept by triggers
 * on `volumes`, must always equal the sum over live volumes, whatever writes them; the scheduler's
 * claim and the volume stats read it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { volumeRow } from '../support/volume-row.js';
import {
  DIALECTS,
  TEST_SEED,
  openFreshDatabase,
  unavailable,
  type OpenTestDatabase,
} from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import {
  volumeAllocatedBy,
  volumeCreate,
  volumeDestroy,
  volumeUpdate,
  volumeUpdateHost,
  type VolumeCreateValues,
} from '../../src/db/api/volumes.js';
import { serviceGetOrCreate } from '../../src/db/api/services.js';
import { claimVolumeHost } from '../../src/db/api/capacity-claims.js';
import { capacityAllocationsMigration } from '../../src/db/migrations/014-capacity-allocations.js';

function vol(over: Partial<VolumeCreateValues> = {}): VolumeCreateValues {
  return volumeRow({
    user_id: 'u1',
    project_id: 'pa',
    volume_type_id: TEST_SEED.defaultVolumeTypeId,
    ...over,
  });
}

/** What the table says, per kind and location (zero rows left out). */
async function kept(db: Db): Promise<Record<string, number>> {
  const rows = await db.selectFrom('capacity_allocations').selectAll().execute();
  const out: Record<string, number> = {};
  for (const r of rows)
    if (Number(r.allocated_gb) !== 0) out[`${r.kind} ${r.location}`] = Number(r.allocated_gb);
  return out;
}

/** What summing the live volumes says. */
async function summed(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const column of ['host', 'cluster_name'] as const) {
    const rows = await db
      .selectFrom('volumes')
      .select((eb) => [eb.ref(column).as('location'), eb.fn.sum<number>('size').as('gb')])
      .where('deleted', '=', 0)
      .where(column, 'is not', null)
      .groupBy(column)
      .execute();
    for (const r of rows) if (Number(r.gb) !== 0) out[`${column} ${r.location}`] = Number(r.gb);
  }
  return out;
}

for (const dialect of DIALECTS) {
  describe(`capacity allocations [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    test('every kind of write to volumes keeps the GiB per host and per cluster equal to their sum', async () => {
      const a = vol({ host: 'n1@b#p', size: 5 });
      const b = vol({ host: 'n1@b#p', cluster_name: 'c1@b#p', size: 3 });
      const c = vol({ size: 7 });
      for (const v of [a, b, c]) await volumeCreate(db, v);
      assert.deepEqual(await kept(db), { 'host n1@b#p': 8, 'cluster_name c1@b#p': 3 });

      await volumeUpdate(db, c.id, { host: 'n2@b#p' }); // placed
      await volumeUpdate(db, a.id, { size: 9 }); // extended
      await volumeUpdate(db, b.id, { status: 'in-use' }); // nothing to count
      assert.deepEqual(await kept(db), { 'host n1@b#p': 12, 'host n2@b#p': 7, 'cluster_name c1@b#p': 3 });

      await volumeUpdate(db, a.id, { host: 'n2@b#p' }); // migrated
      await volumeUpdate(db, b.id, { cluster_name: null }); // left its cluster
      await volumeUpdateHost(db, 'n2@b', 'n3@b'); // `kindling manage volume update_host`
      assert.deepEqual(await kept(db), await summed(db));
      assert.deepEqual(await kept(db), { 'host n1@b#p': 3, 'host n3@b': 16 });

      await volumeDestroy(db, c.id); // soft delete
      await db.deleteFrom('volumes').where('id', '=', b.id).execute(); // purge of a live row
      assert.deepEqual(await kept(db), { 'host n3@b': 9 });
      await volumeUpdate(db, c.id, { size: 100, host: 'n1@b#p' }); // a deleted row counts nowhere
      assert.deepEqual(await kept(db), { 'host n3@b': 9 });
      assert.deepEqual(await kept(db), await summed(db));

      await volumeUpdate(db, a.id, { host: 'n3@b#p' });
      const stats = await volumeAllocatedBy(db, 'host', 'n3@b#');
      assert.deepEqual([...stats], [['n3@b#p', 9]]);
    });

    test('a claim counts what the pool holds, not the volume itself, and its placement is counted', async () => {
      const base = { binary: 'cinder-volume', topic: 'cinder-volume', availability_zone: 'nova' };
      await serviceGetOrCreate(db, { ...base, host: 'cl@b' });
      const held = vol({ host: 'cl@b#p', size: 4 });
      const again = vol({ host: 'cl@b#p', size: 6 }); // rescheduled back onto the pool it is on
      const fresh = vol({ size: 1 });
      for (const v of [held, again, fresh]) await volumeCreate(db, v);
      const args = { volumeHost: 'cl@b#p', limitGb: 10, values: { status: 'creating' } };
      assert.deepEqual(await claimVolumeHost(t.handle, { ...args, volumeId: again.id, size: 6 }), {
        claimed: true,
        allocatedGb: 10,
        updated: true,
      });
      assert.deepEqual(await claimVolumeHost(t.handle, { ...args, volumeId: fresh.id, size: 1 }), {
        claimed: false,
        allocatedGb: 10,
        updated: false,
      });
      await volumeDestroy(db, held.id);
      assert.deepEqual(await claimVolumeHost(t.handle, { ...args, volumeId: fresh.id, size: 1 }), {
        claimed: true,
        allocatedGb: 7,
        updated: true,
      });
      assert.equal((await kept(db))['host cl@b#p'], 7);
    });

    test('claims racing from several connections never place more than the pool holds', async () => {
      const base = { binary: 'cinder-volume', topic: 'cinder-volume', availability_zone: 'nova' };
      const handles = [t.handle, ...(await Promise.all([1, 2, 3, 4].map(() => t.open())))];
      // Five backends, each's first claim at the same time (no allocation row exists yet), then
      // twelve claims of 1 GiB on one pool that holds 10.
      for (let b = 0; b < 5; b++) await serviceGetOrCreate(db, { ...base, host: `race${b}@b` });
      const firsts = Array.from({ length: 5 }, () => vol({ size: 1 }));
      const many = Array.from({ length: 12 }, () => vol({ size: 1 }));
      for (const v of [...firsts, ...many]) await volumeCreate(db, v);
      const first = await Promise.all(
        firsts.map((v, b) =>
          claimVolumeHost(handles[b]!, {
            volumeId: v.id,
            volumeHost: `race${b}@b#p`,
            size: 1,
            limitGb: 10,
            values: {},
          }),
        ),
      );
      assert.deepEqual(
        first.map((r) => r.claimed),
        [true, true, true, true, true],
      );
      const racing = await Promise.all(
        many.map((v, i) =>
          claimVolumeHost(handles[i % handles.length]!, {
            volumeId: v.id,
            volumeHost: 'race0@b#p',
            size: 1,
            limitGb: 10,
            values: {},
          }),
        ),
      );
      assert.equal(racing.filter((r) => r.claimed).length, 9);
      assert.equal((await kept(db))['host race0@b#p'], 10);
      assert.deepEqual(await kept(db), await summed(db));
    });

    test('the migration counts the volumes already there; taken back, nothing is counted', async () => {
      const migration = capacityAllocationsMigration(t.handle.dialect);
      await migration.down!(db);
      const before = vol({ host: 'old@b#p', cluster_name: 'oc@b#p', size: 11 });
      await volumeCreate(db, before);
      await migration.up(db);
      assert.equal((await kept(db))['host old@b#p'], 11);
      assert.equal((await kept(db))['cluster_name oc@b#p'], 11);
      assert.deepEqual(await kept(db), await summed(db));
      await volumeUpdate(db, before.id, { size: 12 });
      assert.deepEqual(await kept(db), await summed(db));
    });
  });
}
