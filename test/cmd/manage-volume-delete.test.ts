/**
 * `kindling manage volume delete <volume_id>` (src/cmd/manage/volume-delete.ts). Embedded, on a
 * real SQLite state directory with the file backend: the backend's manager deletes the volume in
 * the command's process (its file, its row, its quota); Cinder's refusals leave a volume that is
 * fine untouched. Distributed (PostgreSQL + RabbitMQ, skipped without them): `delete_volume` is
 * cast to the volume's service queue.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runManage } from '../../src/cmd/manage.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { volumeCreate, volumeGet, type VolumeCreateValues } from '../../src/db/api/volumes.js';
import { formatTimestamp } from '../../src/common/time.js';
import { volumeTarget } from '../../src/rpc/transport.js';
import { openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import { BROKER_URL, BrokerFixture, skipReason, until } from '../rpc/amqp/broker.js';
import { volumeRow } from '../support/volume-row.js';

async function manage(config: Config, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runManage(argv, { config, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const vol = (over: Partial<VolumeCreateValues> = {}): VolumeCreateValues =>
  volumeRow({ project_id: 'pd', ...over });

describe('kindling manage volume delete, embedded [sqlite]', () => {
  const state = mkdtempSync(join(tmpdir(), 'kindling-manage-delete-'));
  const volumes = join(state, 'volumes');
  const config = loadConfig({ env: { KINDLING_STATE_DIR: state, KINDLING__DEFAULT__host: 'node1' } });
  let h: DatabaseHandle;
  before(async () => {
    assert.equal((await manage(config, 'db', 'sync')).code, 0);
    h = await openDatabase(config.database.connection);
    mkdirSync(volumes, { recursive: true });
  });
  after(async () => {
    await h?.close();
    rmSync(state, { recursive: true, force: true });
  });

  /** A volume placed on `host` with its file on the file backend. */
  async function placed(over: Partial<VolumeCreateValues>): Promise<{ id: string; file: string }> {
    const v = vol({ host: 'node1@file#file', ...over });
    await volumeCreate(h.db, v);
    const file = join(volumes, `volume-${v.id}`);
    writeFileSync(file, 'data');
    return { id: v.id, file };
  }

  const statusOf = async (id: string) => (await volumeGet(h.db, id))?.status;

  test('a volume stuck in error_deleting: its file, row and quota go, through the file backend', async () => {
    const now = formatTimestamp(new Date());
    await h.db
      .insertInto('quota_usages')
      .values(
        ['volumes', 'gigabytes'].map((resource) => ({
          project_id: 'pd',
          resource,
          in_use: 1,
          reserved: 0,
          until_refresh: null,
          created_at: now,
          deleted: 0,
        })),
      )
      .execute();
    const { id, file } = await placed({ status: 'error_deleting' });
    const r = await manage(config, 'volume', 'delete', id);
    assert.deepEqual(r, { code: 0, out: [`Volume ${id} deleted.`], err: [] });
    assert.equal(await volumeGet(h.db, id), null);
    const row = await h.db
      .selectFrom('volumes')
      .select(['deleted', 'status'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { deleted: 1, status: 'deleted' });
    assert.equal(existsSync(file), false, 'the volume file is removed');
    const usage = await h.db
      .selectFrom('quota_usages')
      .select(['resource', 'in_use'])
      .where('project_id', '=', 'pd')
      .where('deleted', '=', 0)
      .orderBy('resource')
      .execute();
    assert.deepEqual(usage, [
      { resource: 'gigabytes', in_use: 0 },
      { resource: 'volumes', in_use: 0 },
    ]);
  });

  test('refused, nothing touched: in-use, attached, with snapshots, unknown', async () => {
    const inUse = await placed({ status: 'in-use', attach_status: 'attached' });
    const r = await manage(config, 'volume', 'delete', inUse.id);
    assert.deepEqual(r, {
      code: 1,
      out: [],
      err: [`Volume ${inUse.id} is in-use (attached): detach it from its instance and then try again.`],
    });
    const attaching = await placed({ status: 'maintenance', attach_status: 'attached' });
    assert.equal((await manage(config, 'volume', 'delete', attaching.id)).code, 1);
    const withSnap = await placed({ status: 'error' });
    await h.db
      .insertInto('snapshots')
      .values({
        id: randomUUID(),
        volume_id: withSnap.id,
        user_id: 'u',
        project_id: 'pd',
        status: 'available',
        progress: '100%',
        volume_size: 1,
        display_name: null,
        display_description: null,
        volume_type_id: null,
        provider_location: null,
        use_quota: 1,
        created_at: formatTimestamp(new Date()),
        updated_at: null,
        deleted_at: null,
        deleted: 0,
      })
      .execute();
    const s = await manage(config, 'volume', 'delete', withSnap.id);
    assert.equal(s.code, 1);
    assert.match(s.err[0]!, /has 1 snapshot\(s\): delete them first/);
    for (const [v, status] of [
      [inUse, 'in-use'],
      [attaching, 'maintenance'],
      [withSnap, 'error'],
    ] as const) {
      assert.equal(await statusOf(v.id), status);
      assert.ok(existsSync(v.file), 'the data is still there');
    }
    const missing = randomUUID();
    assert.deepEqual(await manage(config, 'volume', 'delete', missing), {
      code: 1,
      out: [],
      err: [`Volume ${missing} could not be found.`],
    });
  });

  test('a volume never placed is removed from the database only (Cinder’s words)', async () => {
    const v = vol({ status: 'creating' });
    await volumeCreate(h.db, v);
    const r = await manage(config, 'volume', 'delete', v.id);
    assert.deepEqual(r, {
      code: 0,
      out: ['Volume not yet assigned to host.', 'Deleting volume from database and skipping rpc.'],
      err: [],
    });
    assert.equal(await volumeGet(h.db, v.id), null);
  });

  test('a backend this configuration does not serve, or a running kindling serve: refused', async () => {
    const other = await placed({ host: 'node2@file#file', status: 'error' });
    const r = await manage(config, 'volume', 'delete', other.id);
    assert.equal(r.code, 1);
    assert.match(
      r.err[0]!,
      /is on node2@file, which this configuration does not serve \(host node1, enabled_backends file\)/,
    );
    assert.equal(await statusOf(other.id), 'error');

    // A live process holding the state directory, as kindling serve does.
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeFileSync(
        join(state, 'kindling.lock'),
        `${JSON.stringify({ pid: holder.pid, command: 'kindling serve' })}\n`,
      );
      const mine = await placed({ status: 'error' });
      const busy = await manage(config, 'volume', 'delete', mine.id);
      assert.equal(busy.code, 1);
      assert.match(
        busy.err[0]!,
        new RegExp(
          `is in use by kindling serve \\(pid ${holder.pid}; lock file .*\\): its volume service owns volume ${mine.id}; delete it through the API \\(cinder force-delete ${mine.id}\\) or stop it first\\.$`,
        ),
      );
      assert.equal(await statusOf(mine.id), 'error');
      assert.ok(existsSync(mine.file));
    } finally {
      holder.kill();
      rmSync(join(state, 'kindling.lock'), { force: true });
    }
  });
});

describe(
  'kindling manage volume delete, distributed [postgres + RabbitMQ]',
  { skip: (await unavailable('postgres')) ?? (await skipReason()) },
  () => {
    let t: OpenTestDatabase;
    const broker = new BrokerFixture();
    before(async () => {
      t = await openFreshDatabase('postgres');
    });
    after(async () => {
      await broker.dispose();
      await t?.close();
    });

    test('delete_volume is cast to the volume’s service; the volume is deleting', async () => {
      const config = loadConfig({
        env: {
          KINDLING__database__connection: t.url,
          KINDLING__DEFAULT__transport_url: BROKER_URL,
          KINDLING__DEFAULT__control_exchange: broker.exchange,
          KINDLING__DEFAULT__host: 'ctl',
        },
      });
      const got: Record<string, unknown>[] = [];
      broker.queues('cinder-volume', 'cinder-volume.stor1@fast');
      await broker.transport().listen(volumeTarget('stor1@fast'), {
        delete_volume: async (_ctx, a) => void got.push(a),
      });
      const v = vol({ host: 'stor1@fast#fast', status: 'error' });
      await volumeCreate(t.handle.db, v);
      const r = await manage(config, 'volume', 'delete', v.id);
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.deepEqual(r.out, [
        `Volume ${v.id} is deleting: delete_volume sent to cinder-volume.stor1@fast.`,
        'No volume service of stor1@fast is up: the volume stays deleting until one is (or move it first with volume update_host).',
      ]);
      await until(() => got.length > 0, 10_000, 'delete_volume');
      assert.deepEqual(got, [{ volume_id: v.id, cascade: false }]);
      const row = await volumeGet(t.handle.db, v.id);
      assert.equal(row?.status, 'deleting');
      assert.equal(row?.previous_status, 'error');
    });
  },
);
