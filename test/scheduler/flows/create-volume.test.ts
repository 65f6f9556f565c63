/**
 * The scheduler create flow (src/scheduler/flows/create-volume.ts) when placing fails, checking
 * what ScheduleCreateVolumeTask's `Revert:` line promises: the volume goes to `error`, with a user
 * message (action 001) and a `scheduler.create_volume` ERROR notification; NoValidBackend is not
 * re-raised (the API already answered 202), anything else is. And ExtractSchedulerSpecTask
 * rebuilds a missing request spec from the row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminContext } from '../../../src/common/context.js';
import type { CoreDeps } from '../../../src/common/deps.js';
import { volumeGet } from '../../../src/db/api/volumes.js';
import { Engine } from '../../../src/flow/index.js';
import { FilterScheduler } from '../../../src/scheduler/filter-scheduler.js';
import { getFlow } from '../../../src/scheduler/flows/create-volume.js';
import { hostManager, report, service } from '../fixtures.js';
import type { RequestSpec } from '../../../src/scheduler/types.js';
import type { VolumeRPCAPI } from '../../../src/volume/rpcapi.js';
import { createdVolume, createRequest, userContext } from '../../support/api-flow.js';
import { flowCore, messageEvents } from '../../support/flow-core.js';

/** A FilterScheduler over `backends` (each up, reporting 100 GiB free). */
function scheduler(backends: string[]): FilterScheduler {
  const hm = hostManager(backends.map((b) => service(b)));
  for (const b of backends)
    hm.updateServiceCapabilities(
      'volume',
      b,
      report({ volume_backend_name: b.split('@')[1] }),
      null,
      new Date(),
    );
  return new FilterScheduler(hm, { scheduler_max_attempts: 3 });
}

/** The volume service's RPC API, recording its casts or failing them. */
function volumeRpc(fail = false) {
  const casts: { host: string | null; volume_id: string; request_spec: RequestSpec }[] = [];
  const rpc = {
    async createVolume(
      _ctx: unknown,
      placement: { host: string | null },
      args: { volume_id: string; request_spec: RequestSpec },
    ) {
      if (fail) throw new Error('AMQP connection lost');
      casts.push({ host: placement.host, volume_id: args.volume_id, request_spec: args.request_spec });
    },
  };
  return { rpc: rpc as unknown as VolumeRPCAPI, casts };
}

function run(deps: CoreDeps, sched: FilterScheduler, rpc: VolumeRPCAPI, volumeId: string) {
  return new Engine(getFlow(deps, sched, rpc), {
    context: adminContext(),
    volume_id: volumeId,
    request_spec: null,
    filter_properties: {},
  }).run();
}

test('no backend fits: the volume goes to error with message 001_003 and an ERROR notification; not re-raised', async (t) => {
  const { deps, notifications } = await flowCore(t);
  const v = await createdVolume(deps, createRequest(userContext('p1'), { size: 2 }));
  const rpc = volumeRpc();
  await run(deps, scheduler([]), rpc.rpc, v.id); // resolves: NoValidBackend is swallowed
  assert.equal((await volumeGet(deps.dbh.db, v.id))?.status, 'error');
  assert.deepEqual(await messageEvents(deps, v.id), ['VOLUME_VOLUME_001_003']);
  const [project] = await deps.dbh.db
    .selectFrom('messages')
    .select('project_id')
    .where('resource_uuid', '=', v.id)
    .execute();
  assert.equal(project?.project_id, 'p1', "the message is the volume owner's");
  const errs = notifications.sent.filter((n) => n.event_type === 'scheduler.create_volume');
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.priority, 'ERROR');
  assert.equal(errs[0]!.publisher_id, `scheduler.${deps.config.DEFAULT.host}`);
  assert.equal(errs[0]!.payload.volume_id, v.id);
  assert.equal(errs[0]!.payload.state, 'error');
  assert.equal(errs[0]!.payload.method, 'create_volume');
  assert.match(String(errs[0]!.payload.reason), /No valid backend/);
  assert.deepEqual(rpc.casts, []);
});

test('a failure other than NoValidBackend (the cast to the backend) errors the volume and is re-raised', async (t) => {
  const { deps, notifications } = await flowCore(t);
  const v = await createdVolume(deps, createRequest(userContext('p1'), { size: 1 }));
  await assert.rejects(run(deps, scheduler(['h@b']), volumeRpc(true).rpc, v.id), /AMQP connection lost/);
  assert.equal((await volumeGet(deps.dbh.db, v.id))?.status, 'error');
  assert.deepEqual(await messageEvents(deps, v.id), ['VOLUME_VOLUME_001_001']);
  const errs = notifications.sent.filter((n) => n.event_type === 'scheduler.create_volume');
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.priority, 'ERROR');
  assert.equal(errs[0]!.payload.reason, 'AMQP connection lost');
});

test('placed: the host is recorded and the request (rebuilt from the row) goes to that backend', async (t) => {
  const { deps, notifications } = await flowCore(t);
  const v = await createdVolume(deps, createRequest(userContext('p1'), { size: 3 }));
  const rpc = volumeRpc();
  await run(deps, scheduler(['h@b']), rpc.rpc, v.id);
  const placed = await volumeGet(deps.dbh.db, v.id);
  assert.equal(placed?.status, 'creating');
  assert.match(placed?.host ?? '', /^h@b#/);
  assert.equal(rpc.casts.length, 1);
  assert.equal(rpc.casts[0]!.volume_id, v.id);
  assert.equal(rpc.casts[0]!.request_spec.volume_properties.size, 3);
  assert.deepEqual(await messageEvents(deps, v.id), []);
  assert.deepEqual(
    notifications.sent.filter((n) => n.priority === 'ERROR'),
    [],
  );
});
