/**
 * `kindling manage` (src/cmd/manage.ts): `db sync`/`db version` and `quota check` on every dialect,
 * the service and volume commands on SQLite.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import { runManage } from '../../src/cmd/manage.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { migrateToLatest, migrationNames } from '../../src/db/migrator.js';
import {
  serviceGetAll,
  serviceGetOrCreate,
  serviceMarkStopped,
  serviceSetDisabled,
} from '../../src/db/api/services.js';
import { volumeCreate, volumeGet, type VolumeCreateValues } from '../../src/db/api/volumes.js';
import { volumeTypeCreate } from '../../src/db/api/volume-types.js';
import { formatTimestamp } from '../../src/common/time.js';
import type { DatabaseHandle } from '../../src/db/connection.js';
import { volumeRow } from '../support/volume-row.js';

function configFor(url: string): Config {
  return loadConfig({ env: { KINDLING__database__connection: url } });
}

/** Runs a manage command, capturing its output lines. */
async function manage(
  config: Config,
  ...argv: string[]
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runManage(argv, { config, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const vol = (over: Partial<VolumeCreateValues>): VolumeCreateValues => volumeRow(over);

async function usage(h: DatabaseHandle, project: string): Promise<Record<string, [number, number]>> {
  const rows = await h.db
    .selectFrom('quota_usages')
    .select(['resource', 'in_use', 'reserved'])
    .where('project_id', '=', project)
    .where('deleted', '=', 0)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.resource, [r.in_use, r.reserved] as [number, number]]));
}

for (const dialect of DIALECTS) {
  describe(`kindling manage [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let config: Config;
    before(async () => {
      t = await openFreshDatabase(dialect, { migrate: false });
      config = configFor(t.url);
    });
    after(() => t?.close());

    test('db version before sync, db sync, db version, sync again', async () => {
      assert.deepEqual((await manage(config, 'db', 'version')).out, ['None']);
      const sync = await manage(config, 'db', 'sync');
      assert.equal(sync.code, 0, sync.err.join('\n'));
      const names = migrationNames(dialect);
      const newest = names.at(-1)!;
      assert.deepEqual(sync.out, [...names.map((n) => `${n}: applied`), `Database now at version ${newest}`]);
      assert.deepEqual((await manage(config, 'db', 'version')).out, [newest]);
      const again = await manage(config, 'db', 'sync');
      assert.deepEqual(again, {
        code: 0,
        out: [`Database already at the newest version: ${newest}`],
        err: [],
      });
      // The seeded default type and quota class came from config.
      const cls = await t.handle.db
        .selectFrom('quota_classes')
        .select('hard_limit')
        .where('resource', '=', 'volumes')
        .executeTakeFirst();
      assert.equal(cls?.hard_limit, config.DEFAULT.quota_volumes);
    });

    test('quota check reports differences and exits 1; --action sync fixes them; check is clean after', async () => {
      await migrateToLatest(t.handle, { defaultVolumeTypeId: randomUUID(), quotaClassDefaults: {} });
      const db = t.handle.db;
      const gold = randomUUID();
      await volumeTypeCreate(db, {
        id: gold,
        name: 'gold',
        description: null,
        is_public: true,
        extra_specs: {},
      });
      const plain = randomUUID();
      const v1 = vol({ project_id: 'pq', size: 3, volume_type_id: gold });
      await volumeCreate(db, v1);
      await volumeCreate(db, vol({ project_id: 'pq', size: 4, volume_type_id: plain }));
      await volumeCreate(db, vol({ project_id: 'pq', size: 50, use_quota: 0 })); // temporary: not counted
      await db
        .insertInto('snapshots')
        .values({
          id: randomUUID(),
          volume_id: v1.id,
          user_id: 'u',
          project_id: 'pq',
          status: 'available',
          progress: '100%',
          volume_size: 3,
          display_name: null,
          display_description: null,
          volume_type_id: gold,
          provider_location: null,
          use_quota: 1,
          created_at: formatTimestamp(new Date()),
          updated_at: null,
          deleted_at: null,
          deleted: 0,
        })
        .execute();
      const now = formatTimestamp(new Date());
      const row = (resource: string, in_use: number, reserved: number) => ({
        project_id: 'pq',
        resource,
        in_use,
        reserved,
        until_refresh: null,
        created_at: now,
        deleted: 0,
      });
      await db
        .insertInto('quota_usages')
        .values([
          row('volumes', 5, 1),
          row('gigabytes', 7, 0),
          row('snapshots', 1, 0),
          row('volumes_gold', 1, 0),
          row('gigabytes_gold', 0, 0),
          row('volumes_bronze', 4, 0),
        ])
        .execute();
      const volumesUsage = await db
        .selectFrom('quota_usages')
        .select('id')
        .where('project_id', '=', 'pq')
        .where('resource', '=', 'volumes')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('reservations')
        .values({
          uuid: randomUUID(),
          usage_id: volumesUsage.id,
          project_id: 'pq',
          resource: 'volumes',
          delta: 2,
          expire: now,
          created_at: now,
          deleted: 0,
        })
        .execute();

      const check = await manage(config, 'quota', 'check');
      assert.equal(check.code, 1);
      assert.deepEqual(check.out, [
        'Checking quota usage of project pq',
        '  volumes: in_use is 5, should be 2',
        '  volumes: reserved is 1, should be 2',
        '  gigabytes: in_use is 7, should be 10',
        '  gigabytes_gold: in_use is 0, should be 6',
        '  volumes_bronze: not a known resource, left alone',
        'Checked 1 project(s): 4 difference(s) found.',
      ]);
      assert.deepEqual((await usage(t.handle, 'pq')).volumes, [5, 1], 'check alone changes nothing');

      const sync = await manage(config, 'quota', 'check', '--project-id', 'pq', '--action', 'sync');
      assert.equal(sync.code, 0);
      assert.equal(sync.out.at(-1), 'Checked 1 project(s): 4 difference(s) fixed.');
      assert.deepEqual(await usage(t.handle, 'pq'), {
        volumes: [2, 2],
        gigabytes: [10, 0],
        snapshots: [1, 0],
        volumes_gold: [1, 0],
        gigabytes_gold: [6, 0],
        volumes_bronze: [4, 0],
      });
      const clean = await manage(config, 'quota', 'sync', '--project-id=pq');
      assert.equal(clean.code, 0);
      assert.equal(clean.out.at(-1), 'Checked 1 project(s): 0 difference(s) fixed.');
      assert.deepEqual((await manage(config, 'quota', 'check', '--project-id', 'nobody')).out, [
        'Project nobody has no quota usage rows; nothing to check.',
      ]);
    });

    test('quota check/sync count backups, backup GiB and groups (Cinder’s _sync_backups/_sync_groups)', async () => {
      await migrateToLatest(t.handle, { defaultVolumeTypeId: randomUUID(), quotaClassDefaults: {} });
      const db = t.handle.db;
      const now = formatTimestamp(new Date());
      const backup = (size: number | null, deleted: 0 | 1 = 0, status = 'available') => ({
        id: randomUUID(),
        volume_id: randomUUID(),
        user_id: 'u',
        project_id: 'pb',
        host: null,
        availability_zone: null,
        display_name: null,
        display_description: null,
        container: null,
        status,
        fail_reason: null,
        service_metadata: null,
        service: null,
        size,
        object_count: null,
        parent_id: null,
        temp_volume_id: null,
        temp_snapshot_id: null,
        num_dependent_backups: 0,
        snapshot_id: null,
        data_timestamp: null,
        restore_volume_id: null,
        encryption_key_id: null,
        created_at: now,
        updated_at: null,
        deleted_at: deleted ? now : null,
        deleted,
      });
      // Three live backups of 1 + 2 + 3 GiB (one in error: it still counts, as in Cinder), one deleted.
      await db
        .insertInto('backups')
        .values([backup(1), backup(2, 0, 'error'), backup(3), backup(40, 1)])
        .execute();
      const groupType = randomUUID();
      const group = (deleted: 0 | 1) => ({
        id: randomUUID(),
        user_id: 'u',
        project_id: 'pb',
        host: null,
        cluster_name: null,
        availability_zone: 'nova',
        name: null,
        description: null,
        group_type_id: groupType,
        status: 'available',
        group_snapshot_id: null,
        source_group_id: null,
        replication_status: 'disabled',
        created_at: now,
        updated_at: null,
        deleted_at: deleted ? now : null,
        deleted,
      });
      await db
        .insertInto('groups')
        .values([group(0), group(1)])
        .execute();
      const row = (resource: string, in_use: number) => ({
        project_id: 'pb',
        resource,
        in_use,
        reserved: 0,
        until_refresh: null,
        created_at: now,
        deleted: 0,
      });
      await db
        .insertInto('quota_usages')
        .values([row('backups', 3), row('backup_gigabytes', 6), row('groups', 1), row('volumes', 0)])
        .execute();

      const check = await manage(config, 'quota', 'check', '--project-id', 'pb');
      assert.deepEqual(check.out, [
        'Checking quota usage of project pb',
        'Checked 1 project(s): 0 difference(s) found.',
      ]);
      assert.equal(check.code, 0);
      const sync = await manage(config, 'quota', 'sync', '--project-id', 'pb');
      assert.equal(sync.out.at(-1), 'Checked 1 project(s): 0 difference(s) fixed.');
      assert.deepEqual(await usage(t.handle, 'pb'), {
        backups: [3, 0],
        backup_gigabytes: [6, 0],
        groups: [1, 0],
        volumes: [0, 0],
      });

      // Drifted numbers are recounted from the tables.
      await db.updateTable('quota_usages').set({ in_use: 9 }).where('project_id', '=', 'pb').execute();
      const fixed = await manage(config, 'quota', 'sync', '--project-id', 'pb');
      assert.deepEqual(fixed.out, [
        'Checking quota usage of project pb',
        '  backups: in_use is 9, should be 3 (fixed)',
        '  backup_gigabytes: in_use is 9, should be 6 (fixed)',
        '  groups: in_use is 9, should be 1 (fixed)',
        '  volumes: in_use is 9, should be 0 (fixed)',
        'Checked 1 project(s): 4 difference(s) fixed.',
      ]);
      assert.deepEqual(await usage(t.handle, 'pb'), {
        backups: [3, 0],
        backup_gigabytes: [6, 0],
        groups: [1, 0],
        volumes: [0, 0],
      });
    });
  });
}

describe('kindling manage: services, volumes, command line [sqlite]', () => {
  let t: OpenTestDatabase;
  let config: Config;
  before(async () => {
    t = await openFreshDatabase('sqlite');
    config = configFor(t.url);
  });
  after(() => t?.close());

  test('service list: cinder-manage columns, :-) up / XXX down, enabled/disabled, cluster', async () => {
    const db = t.handle.db;
    const vol1 = await serviceGetOrCreate(db, {
      host: 'node1@lvm',
      binary: 'cinder-volume',
      topic: 'cinder-volume',
      availability_zone: 'az1',
      cluster_name: 'c1@lvm',
    });
    const sch = await serviceGetOrCreate(db, {
      host: 'node1',
      binary: 'cinder-scheduler',
      topic: 'cinder-scheduler',
      availability_zone: 'nova',
    });
    await serviceMarkStopped(db, sch.id, config.DEFAULT.service_down_time);
    await serviceSetDisabled(db, sch.id, true, 'maintenance');
    const r = await manage(config, 'service', 'list');
    assert.equal(r.code, 0);
    const [header, ...lines] = r.out;
    assert.match(
      header!,
      /^Binary {11}Host {33}Zone {13}Status {5}State Updated At {11}RPC Version {2}Object Version {2}Cluster$/,
    );
    assert.equal(lines.length, 2);
    const cells = lines.map((l) => l.split(/\s+/));
    assert.deepEqual(cells[0]!.slice(0, 5), ['cinder-volume', 'node1@lvm', 'az1', 'enabled', ':-)']);
    assert.equal(cells[0]!.at(-1), 'c1@lvm');
    assert.match(lines[0]!, / \d{4}-\d\d-\d\d \d\d:\d\d:\d\d /);
    assert.deepEqual(cells[1]!.slice(0, 5), ['cinder-scheduler', 'node1', 'nova', 'disabled', 'XXX']);
    assert.equal(lines[0]!.indexOf('node1@lvm'), header!.indexOf('Host'), 'columns line up');
    assert.ok(vol1.id > 0);
  });

  test('service remove: unknown → 2; up → refused without --force; down → soft-deleted', async () => {
    const db = t.handle.db;
    const s = await serviceGetOrCreate(db, {
      host: 'gone@b',
      binary: 'cinder-volume',
      topic: 'cinder-volume',
      availability_zone: 'nova',
    });
    assert.equal((await manage(config, 'service', 'remove', 'cinder-volume', 'nope@b')).code, 2);
    assert.equal(
      (await manage(config, 'service', 'remove', 'cinder-volume', 'GONE@b')).code,
      2,
      'exact host',
    );
    const up = await manage(config, 'service', 'remove', 'cinder-volume', 'gone@b');
    assert.equal(up.code, 1);
    assert.match(up.err[0]!, /is up/);
    assert.equal((await serviceGetAll(db, { host: 'gone@b' })).length, 1);
    await serviceMarkStopped(db, s.id, config.DEFAULT.service_down_time);
    const ok = await manage(config, 'service', 'remove', 'cinder-volume', 'gone@b');
    assert.deepEqual(ok, { code: 0, out: ['Service cinder-volume on host gone@b removed.'], err: [] });
    assert.equal((await serviceGetAll(db, { host: 'gone@b' })).length, 0);
    const row = await db.selectFrom('services').selectAll().where('id', '=', s.id).executeTakeFirstOrThrow();
    assert.equal(row.deleted, 1);
    assert.ok(row.deleted_at);

    const s2 = await serviceGetOrCreate(db, {
      host: 'busy@b',
      binary: 'cinder-volume',
      topic: 'cinder-volume',
      availability_zone: 'nova',
    });
    assert.equal((await manage(config, 'service', 'remove', 'cinder-volume', 'busy@b', '--force')).code, 0);
    assert.equal((await serviceGetAll(db, { host: 'busy@b' })).length, 0);
    assert.ok(s2.id);
  });

  test('volume update_host: moves host and its pools, not look-alikes or deleted volumes', async () => {
    const db = t.handle.db;
    const vs = {
      exact: vol({ host: 'old@b' }),
      pool: vol({ host: 'old@b#p1' }),
      other: vol({ host: 'old@b2#p1' }),
      upper: vol({ host: 'OLD@b#p1' }),
      wild: vol({ host: 'oldXb#p1' }),
    };
    for (const v of Object.values(vs)) await volumeCreate(db, v);
    const deleted = vol({ host: 'old@b#p1' });
    await volumeCreate(db, deleted);
    await db.updateTable('volumes').set({ deleted: 1 }).where('id', '=', deleted.id).execute();

    const r = await manage(config, 'volume', 'update_host', '--currenthost', 'old@b', '--newhost=new@b#p9');
    assert.deepEqual(r, { code: 0, out: ['Moved 2 volume(s) from old@b to new@b#p9.'], err: [] });
    const host = async (v: VolumeCreateValues) => (await volumeGet(db, v.id))?.host;
    assert.equal(await host(vs.exact), 'new@b#p9');
    assert.equal(await host(vs.pool), 'new@b#p9');
    assert.equal(await host(vs.other), 'old@b2#p1');
    assert.equal(await host(vs.upper), 'OLD@b#p1');
    assert.equal(await host(vs.wild), 'oldXb#p1');
    const del = await db.selectFrom('volumes').select('host').where('id', '=', deleted.id).executeTakeFirst();
    assert.equal(del?.host, 'old@b#p1');
    // `_` in a host is not a wildcard either.
    assert.equal(
      (await manage(config, 'volume', 'update_host', '--currenthost', 'old_b', '--newhost', 'x')).out[0],
      'Moved 0 volume(s) from old_b to x.',
    );
  });

  test('command line errors exit 2 with usage, without touching the database', async () => {
    const bad = [
      ['volume', 'update_host', '--currenthost', 'a'],
      ['service', 'remove', 'cinder-volume'],
      ['quota', 'check', '--action', 'fix'],
      ['db', 'sync', '--bogus'],
      ['frobnicate'],
      [],
    ];
    const noDb = configFor('sqlite:////nonexistent-dir-kindling/never/created.sqlite');
    for (const argv of bad) {
      const r = await manage(noDb, ...argv);
      assert.equal(r.code, 2, argv.join(' '));
    }
    assert.equal(existsSync('/nonexistent-dir-kindling'), false);
    const help = await manage(config, '--help');
    assert.equal(help.code, 0);
    assert.match(help.out[0]!, /^usage: kindling manage/);
  });

  test('a command on an unsynced database fails with a hint', async () => {
    const fresh = await openFreshDatabase('sqlite', { migrate: false });
    try {
      const r = await manage(configFor(fresh.url), 'service', 'list');
      assert.equal(r.code, 1);
      assert.match(r.err.at(-1)!, /db sync/);
    } finally {
      await fresh.close();
    }
  });
});
