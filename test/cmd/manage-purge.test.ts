/**
 * `kindling manage db purge <age_in_days>` (src/cmd/manage/db.ts, src/db/api/purge.ts) on every
 * dialect: only rows soft-deleted before the cutoff go, children before parents, a deleted row a
 * remaining row still references is kept, and no reference is left dangling.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import { runManage } from '../../src/cmd/manage.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { PURGE_ORDER, PURGE_REFERENCES } from '../../src/db/api/purge.js';
import { volumeCreate, type VolumeCreateValues } from '../../src/db/api/volumes.js';
import { formatTimestamp } from '../../src/common/time.js';
import { volumeRow } from '../support/volume-row.js';

async function manage(config: Config, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runManage(argv, { config, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const daysAgo = (n: number) => formatTimestamp(new Date(Date.now() - n * 86_400_000));
const OLD = daysAgo(40);
const RECENT = daysAgo(1);

const vol = (over: Partial<VolumeCreateValues> = {}): VolumeCreateValues => volumeRow(over);

test('the purge order puts every table before the tables it references', () => {
  for (const r of PURGE_REFERENCES) {
    if (r.child === r.parent || !PURGE_ORDER.includes(r.child)) continue;
    assert.ok(
      PURGE_ORDER.indexOf(r.child) < PURGE_ORDER.indexOf(r.parent),
      `${r.child}.${r.column} references ${r.parent}: ${r.child} must be purged first`,
    );
  }
  assert.equal(new Set(PURGE_ORDER).size, PURGE_ORDER.length);
});

for (const dialect of DIALECTS) {
  describe(`kindling manage db purge [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let config: Config;
    before(async () => {
      t = await openFreshDatabase(dialect);
      config = loadConfig({ env: { KINDLING__database__connection: t.url } });
    });
    after(() => t?.close());

    test('old deleted rows go, children first; recent, live and still-referenced rows stay', async () => {
      const db = t.handle.db;
      const del = async (table: string, where: [string, unknown], at: string, deleted: number = 1) =>
        sql`update ${sql.table(table)} set deleted = ${deleted}, deleted_at = ${at} where ${sql.ref(where[0])} = ${where[1]}`.execute(
          db,
        );
      const meta = async (volumeId: string, at: string | null) => {
        await db
          .insertInto('volume_metadata')
          .values({ volume_id: volumeId, key: 'k', value: 'v', created_at: OLD, deleted: 0 } as never)
          .execute();
        if (at) await del('volume_metadata', ['volume_id', volumeId], at);
      };
      const snap = async (volumeId: string, at: string | null) => {
        const id = randomUUID();
        await db
          .insertInto('snapshots')
          .values({
            id,
            volume_id: volumeId,
            status: 'available',
            volume_size: 1,
            use_quota: 1,
            created_at: OLD,
            deleted: 0,
          } as never)
          .execute();
        if (at) await del('snapshots', ['id', id], at);
        return id;
      };
      const volume = async (at: string | null) => {
        const v = vol();
        await volumeCreate(db, v);
        if (at) await del('volumes', ['id', v.id], at);
        return v.id;
      };

      const volA = await volume(OLD); // purged, with its deleted metadata
      await meta(volA, OLD);
      const volB = await volume(OLD); // kept: a live snapshot still points at it
      const snapB = await snap(volB, null);
      const volC = await volume(RECENT); // deleted too recently
      const volD = await volume(null); // live; its old deleted metadata goes
      await meta(volD, OLD);
      const volE = await volume(OLD); // purged after its old deleted snapshot
      const snapE = await snap(volE, OLD);
      const volF = await volume(OLD); // kept: its snapshot was deleted too recently
      const snapF = await snap(volF, RECENT);

      // QoS specs reference themselves: a root goes once its keys have gone.
      const qos = async (id: string, specsId: string | null) => {
        await db
          .insertInto('quality_of_service_specs')
          .values({ id, specs_id: specsId, key: 'k', value: 'v', created_at: OLD, deleted: 0 } as never)
          .execute();
        await del('quality_of_service_specs', ['id', id], OLD);
      };
      const q1 = randomUUID();
      const q1key = randomUUID();
      await qos(q1, null);
      await qos(q1key, q1);
      const q2 = randomUUID(); // kept: a live volume type uses it
      await qos(q2, null);
      await db
        .insertInto('volume_types')
        .values({
          id: randomUUID(),
          name: `t-${q2}`,
          is_public: 1,
          qos_specs_id: q2,
          created_at: OLD,
          deleted: 0,
        } as never)
        .execute();

      // quota_usages keep their own id in `deleted`; their reservations go first.
      await db
        .insertInto('quota_usages')
        .values({
          project_id: 'pp',
          resource: 'volumes',
          in_use: 0,
          reserved: 0,
          created_at: OLD,
          deleted: 0,
        })
        .execute();
      const usage = await db
        .selectFrom('quota_usages')
        .select('id')
        .where('project_id', '=', 'pp')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('reservations')
        .values({
          uuid: randomUUID(),
          usage_id: usage.id,
          project_id: 'pp',
          resource: 'volumes',
          delta: 1,
          expire: OLD,
          created_at: OLD,
          deleted: 0,
        } as never)
        .execute();
      await del('reservations', ['usage_id', usage.id], OLD);
      await del('quota_usages', ['id', usage.id], OLD, usage.id);

      // A deleted service a live worker row still names stays.
      await db
        .insertInto('services')
        .values({
          uuid: randomUUID(),
          host: 'gone@b',
          binary: 'cinder-volume',
          topic: 'cinder-volume',
          availability_zone: 'nova',
          created_at: OLD,
          deleted: 0,
        } as never)
        .execute();
      const svc = await db
        .selectFrom('services')
        .select('id')
        .where('host', '=', 'gone@b')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('workers')
        .values({
          resource_type: 'Volume',
          resource_id: volD,
          status: 'deleting',
          service_id: svc.id,
          created_at: OLD,
          deleted: 0,
        } as never)
        .execute();
      await del('services', ['id', svc.id], OLD);

      // A soft-deleting table a newer migration added is found and purged too.
      await db.schema
        .createTable('purge_probe')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('deleted', 'integer', (c) => c.notNull())
        .addColumn('deleted_at', 'varchar(32)')
        .execute();
      await sql`insert into purge_probe (id, deleted, deleted_at) values (1, 1, ${OLD}), (2, 0, null)`.execute(
        db,
      );

      const r = await manage(config, 'db', 'purge', '30');
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.match(
        r.out[0]!,
        /^Purging rows deleted more than 30 day\(s\) ago \(before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/,
      );
      const kept = ' (still referenced by rows that stay)';
      for (const line of [
        '  purge_probe: 1 purged',
        '  reservations: 1 purged',
        '  volume_metadata: 2 purged',
        '  snapshots: 1 purged',
        `  volumes: 2 purged, 2 kept${kept}`,
        `  services: 0 purged, 1 kept${kept}`,
        '  quota_usages: 1 purged',
        `  quality_of_service_specs: 2 purged, 1 kept${kept}`,
      ])
        assert.ok(r.out.includes(line), `${line} in ${JSON.stringify(r.out)}`);
      assert.equal(r.out.at(-1), `Purged ${1 + 1 + 2 + 1 + 2 + 1 + 2} row(s) from 7 table(s).`);

      const ids = async (table: 'volumes' | 'snapshots' | 'quality_of_service_specs') =>
        new Set((await db.selectFrom(table).select('id').execute()).map((x) => x.id));
      const volumes = await ids('volumes');
      assert.deepEqual(
        [volA, volB, volC, volD, volE, volF].map((id) => volumes.has(id)),
        [false, true, true, true, false, true],
      );
      const snapshots = await ids('snapshots');
      assert.deepEqual(
        [snapB, snapE, snapF].map((id) => snapshots.has(id)),
        [true, false, true],
      );
      const specs = await ids('quality_of_service_specs');
      assert.deepEqual(
        [q1, q1key, q2].map((id) => specs.has(id)),
        [false, false, true],
      );
      assert.equal((await db.selectFrom('volume_metadata').select('id').execute()).length, 0);
      const probe = await sql<{ id: number }>`select id from purge_probe`.execute(db);
      assert.deepEqual(
        probe.rows.map((x) => Number(x.id)),
        [2],
      );

      // No reference is left dangling.
      for (const ref of PURGE_REFERENCES) {
        const dangling = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(ref.child)} c
          where c.${sql.ref(ref.column)} is not null and not exists (
            select 1 from ${sql.table(ref.parent)} p where p.${sql.ref(ref.parentColumn)} = c.${sql.ref(ref.column)})`.execute(
          db,
        );
        assert.equal(Number(dangling.rows[0]!.n), 0, `${ref.child}.${ref.column} → ${ref.parent}`);
      }

      // Purging again finds only what is still referenced.
      const again = await manage(config, 'db', 'purge', '30');
      assert.equal(again.out.at(-1), 'Purged 0 row(s) from 0 table(s).');
    });

    test('bad ages: negative and beyond the epoch exit 1 with Cinder’s words, not a number exits 2', async () => {
      assert.deepEqual(await manage(config, 'db', 'purge', '-1'), {
        code: 1,
        out: [],
        err: ['Must supply a positive value for age'],
      });
      assert.deepEqual(await manage(config, 'db', 'purge', '100000'), {
        code: 1,
        out: [],
        err: ['Maximum age is count of days since epoch.'],
      });
      const nan = await manage(config, 'db', 'purge', 'ten');
      assert.equal(nan.code, 2);
      assert.match(nan.err.join('\n'), /invalid int value: 'ten'/);
      assert.match(nan.err.at(-1)!, /^usage: kindling manage db purge \[options\] <age_in_days>$/);
      assert.equal((await manage(config, 'db', 'purge')).code, 2);
    });
  });
}
