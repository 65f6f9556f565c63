/**
 * The api create flow's reverts (src/volume/flows/api/create-volume.ts): each test makes a task
 * after the one under test fail and checks what that task's `Revert:` line promises.
 * - QuotaReserveTask: the reservation is rolled back.
 * - EntryCreateTask: the row is destroyed (with its reservations), as the quota was not committed.
 * - QuotaCommitTask: the usage is given back; the row it leaves does not count any more.
 * - VolumeCastTask: the row goes to `error`; a source volume keeps its status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CoreDeps } from '../../../../src/common/deps.js';
import {
  volumeTypeCreate,
  volumeTypeGet,
  type VolumeTypeRecord,
} from '../../../../src/db/api/volume-types.js';
import { volumeGet, type VolumeRecord } from '../../../../src/db/api/volumes.js';
import { Engine, LinearFlow, type AnyTask } from '../../../../src/flow/index.js';
import { PENDING_QUOTA_KEY } from '../../../../src/quota/volume-reservations.js';
import type { SchedulerRPCAPI } from '../../../../src/scheduler/rpcapi.js';
import { AvailabilityZones } from '../../../../src/volume/availability-zones.js';
import { getFlow, type CreateVolumeRequest } from '../../../../src/volume/flows/api/create-volume.js';
import { destroyVolumeReleasingQuota } from '../../../../src/volume/volume-destroy.js';
import { createRequest, userContext } from '../../../support/api-flow.js';
import { flowCore, InjectedFailure, quotaOf, volumeRow } from '../../../support/flow-core.js';

const RESOURCES = ['volumes', 'gigabytes', 'volumes_gold', 'gigabytes_gold'] as const;
const NOTHING = { volumes: [0, 0], gigabytes: [0, 0], volumes_gold: [0, 0], gigabytes_gold: [0, 0] };

/** A scheduler RPC that records casts, or fails them (a broker that is down). */
function schedulerRpc(fail = false) {
  const casts: string[] = [];
  const rpc = {
    async createVolume(_ctx: unknown, volumeId: string) {
      if (fail) throw new Error('AMQP connection lost');
      casts.push(volumeId);
    },
  };
  return { rpc: rpc as unknown as SchedulerRPCAPI, casts };
}

function azs(deps: CoreDeps) {
  return new AvailabilityZones(deps.dbh.db, { az_cache_duration: 3600, service_down_time: 60 });
}

/**
 * The api flow's tasks up to and including `through` (all of them when absent), then an injected
 * failure that sees `probe` the store values named in `requires`.
 */
function flowThrough(
  deps: CoreDeps,
  scheduler: SchedulerRPCAPI,
  through?: string,
  failure?: InjectedFailure,
): LinearFlow {
  const tasks = getFlow(deps, azs(deps), scheduler).tasks();
  const upTo = through ? tasks.slice(0, tasks.findIndex((t) => t.name === through) + 1) : tasks;
  assert.ok(upTo.length > 0);
  const items: AnyTask[] = failure ? [...upTo, failure] : upTo;
  return new LinearFlow('volume:create_api', ...items);
}

async function goldType(deps: CoreDeps): Promise<VolumeTypeRecord> {
  const id = randomUUID();
  await volumeTypeCreate(deps.dbh.db, {
    id,
    name: 'gold',
    description: null,
    is_public: true,
    extra_specs: {},
  });
  return (await volumeTypeGet(deps.dbh.db, id))!;
}

async function run(flow: LinearFlow, req: CreateVolumeRequest): Promise<Engine> {
  const engine = new Engine(flow, { ...req });
  await engine.run();
  return engine;
}

/** A volume made by the whole flow (its cast recorded, not delivered). */
async function createdVolume(deps: CoreDeps, req: CreateVolumeRequest): Promise<VolumeRecord> {
  const engine = await run(flowThrough(deps, schedulerRpc().rpc), req);
  return (await volumeGet(deps.dbh.db, engine.fetch<VolumeRecord>('volume').id))!;
}

async function liveVolumes(deps: CoreDeps, project: string): Promise<number> {
  const rows = await deps.dbh.db
    .selectFrom('volumes')
    .select('id')
    .where('project_id', '=', project)
    .where('deleted', '=', 0)
    .execute();
  return rows.length;
}

test('QuotaReserveTask revert: a failure after the reservation rolls it back', async (t) => {
  const { deps } = await flowCore(t);
  const gold = await goldType(deps);
  let during: unknown;
  const failure = new InjectedFailure(['reservations'], async () => {
    during = await quotaOf(deps, 'p1', RESOURCES);
  });
  const req = createRequest(userContext('p1'), { size: 3, volume_type: gold });
  await assert.rejects(
    run(flowThrough(deps, schedulerRpc().rpc, 'QuotaReserveTask', failure), req),
    failure.error,
  );
  assert.deepEqual(during, {
    volumes: [0, 1],
    gigabytes: [0, 3],
    volumes_gold: [0, 1],
    gigabytes_gold: [0, 3],
  });
  assert.deepEqual(await quotaOf(deps, 'p1', RESOURCES), NOTHING);
  const open = await deps.dbh.db.selectFrom('reservations').select('id').where('deleted', '=', 0).execute();
  assert.deepEqual(open, []);
});

test('EntryCreateTask revert: a failure before the commit destroys the row and gives the reservation back', async (t) => {
  const { deps } = await flowCore(t);
  const gold = await goldType(deps);
  let written: VolumeRecord | null = null;
  const failure = new InjectedFailure(['volume'], async (i) => {
    written = await volumeGet(deps.dbh.db, (i.volume as VolumeRecord).id);
  });
  const req = createRequest(userContext('p1'), { size: 2, volume_type: gold, metadata: { k: 'v' } });
  await assert.rejects(
    run(flowThrough(deps, schedulerRpc().rpc, 'EntryCreateTask', failure), req),
    failure.error,
  );
  const id = (written as VolumeRecord | null)?.id;
  assert.ok(id, 'the row existed before the failure');
  assert.equal(await volumeGet(deps.dbh.db, id), null, 'the row is gone');
  assert.equal((await volumeRow(deps, id))?.deleted, 1);
  assert.equal(await liveVolumes(deps, 'p1'), 0);
  assert.deepEqual(await quotaOf(deps, 'p1', RESOURCES), NOTHING);
  const notes = await deps.dbh.db
    .selectFrom('volume_admin_metadata')
    .select('id')
    .where('volume_id', '=', id)
    .where('key', '=', PENDING_QUOTA_KEY)
    .execute();
  assert.deepEqual(notes, [], 'no pending-quota note is left for a sweep to find');
});

test('QuotaCommitTask and VolumeCastTask reverts: a failed cast leaves the row in error, its usage given back once', async (t) => {
  const { deps } = await flowCore(t);
  const gold = await goldType(deps);
  // One volume that counts, so a second release would show.
  await createdVolume(deps, createRequest(userContext('p1'), { size: 1, volume_type: gold }));
  const counted = { volumes: [1, 0], gigabytes: [1, 0], volumes_gold: [1, 0], gigabytes_gold: [1, 0] };
  assert.deepEqual(await quotaOf(deps, 'p1', RESOURCES), counted);

  const failing = schedulerRpc(true);
  const engine = new Engine(
    flowThrough(deps, failing.rpc),
    createRequest(userContext('p1'), { size: 4, volume_type: gold }),
  );
  await assert.rejects(engine.run(), /AMQP connection lost/);
  const v = engine.fetch<VolumeRecord>('volume');
  const row = await volumeGet(deps.dbh.db, v.id);
  assert.ok(row, 'the row is kept: its quota had been committed');
  assert.equal(row.status, 'error');
  assert.equal(row.use_quota, 0, 'it no longer counts against quota');
  assert.deepEqual(await quotaOf(deps, 'p1', RESOURCES), counted, 'its usage was given back');

  // Deleting it (the delete's last step) releases nothing a second time.
  await destroyVolumeReleasingQuota(deps, row);
  assert.deepEqual(await quotaOf(deps, 'p1', RESOURCES), counted);
});

test('VolumeCastTask revert: a failed cast of a clone errors the clone, the source keeps its status', async (t) => {
  const { deps } = await flowCore(t);
  const source = await createdVolume(deps, createRequest(userContext('p1'), { size: 1 }));
  await deps.dbh.db
    .updateTable('volumes')
    .set({ status: 'available', host: 'h@b#b' })
    .where('id', '=', source.id)
    .execute();
  const available = (await volumeGet(deps.dbh.db, source.id))!;

  const engine = new Engine(
    flowThrough(deps, schedulerRpc(true).rpc),
    createRequest(userContext('p1'), { source_volume: available }),
  );
  await assert.rejects(engine.run(), /AMQP connection lost/);
  const clone = await volumeGet(deps.dbh.db, engine.fetch<VolumeRecord>('volume').id);
  assert.equal(clone?.status, 'error');
  assert.equal(clone?.source_volid, source.id);
  assert.equal((await volumeGet(deps.dbh.db, source.id))?.status, 'available');
  assert.deepEqual(await quotaOf(deps, 'p1', ['volumes', 'gigabytes']), {
    volumes: [1, 0],
    gigabytes: [1, 0],
  });
});

test('the whole flow: the row, its committed quota and one cast; nothing left pending', async (t) => {
  const { deps } = await flowCore(t);
  const gold = await goldType(deps);
  const sched = schedulerRpc();
  const engine = await run(
    flowThrough(deps, sched.rpc),
    createRequest(userContext('p1'), { size: 2, volume_type: gold }),
  );
  const v = engine.fetch<VolumeRecord>('volume');
  assert.deepEqual(sched.casts, [v.id]);
  assert.equal((await volumeGet(deps.dbh.db, v.id))?.status, 'creating');
  assert.deepEqual(await quotaOf(deps, 'p1', RESOURCES), {
    volumes: [1, 0],
    gigabytes: [2, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [2, 0],
  });
  const notes = await deps.dbh.db
    .selectFrom('volume_admin_metadata')
    .select('id')
    .where('key', '=', PENDING_QUOTA_KEY)
    .execute();
  assert.deepEqual(notes, []);
});
