/**
 * The volume manager's create flow (src/volume/flows/manager/create-volume.ts) when the driver
 * fails, checking what each task's `Revert:` line promises:
 * - ExtractVolumeRefTask: the volume goes to `error`, unless it was rescheduled;
 * - OnFailureRescheduleTask: with a `retry` entry and an error another backend might not hit,
 *   the host is cleared, the request goes back to the scheduler with the failure recorded, and
 *   the driver's leftovers are removed; otherwise nothing (and the volume ends in `error`);
 * - CreateVolumeFromSpecTask: a raw create's driver failure leaves user message 008_012.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { restoreBackupIntoNewVolume } from '../../../../src/backup/restore-new-volume.js';
import { adminContext } from '../../../../src/common/context.js';
import type { CoreDeps } from '../../../../src/common/deps.js';
import { volumeGet, volumeUpdate, type VolumeRecord } from '../../../../src/db/api/volumes.js';
import { Engine } from '../../../../src/flow/index.js';
import { requestSpecFromVolume } from '../../../../src/scheduler/request-spec.js';
import type { SchedulerRPCAPI } from '../../../../src/scheduler/rpcapi.js';
import type { FilterProperties } from '../../../../src/scheduler/types.js';
import type { DriverVolume, VolumeDriver } from '../../../../src/volume/driver.js';
import { getFlow, type RescheduleState } from '../../../../src/volume/flows/manager/create-volume.js';
import { createdVolume, createRequest, userContext } from '../../../support/api-flow.js';
import { flowCore, messageEvents } from '../../../support/flow-core.js';

const HOST = 'node1@file#file';

/** A driver whose creates fail (or succeed), recording what it was asked to delete. */
function fakeDriver(createError: Error | null) {
  const deleted: string[] = [];
  const driver = {
    async createVolume() {
      if (createError) throw createError;
      return { provider_location: 'here' };
    },
    async deleteVolume(v: DriverVolume) {
      deleted.push(v.id);
    },
  };
  return { driver: driver as unknown as VolumeDriver, deleted };
}

/** A scheduler RPC API recording the requests sent back to it. */
function fakeScheduler() {
  const casts: { volumeId: string; filter: FilterProperties }[] = [];
  const rpc = {
    async createVolume(_ctx: unknown, volumeId: string, _spec: unknown, filter: FilterProperties) {
      casts.push({ volumeId, filter });
    },
  };
  return { rpc: rpc as unknown as SchedulerRPCAPI, casts };
}

/** A volume the scheduler placed on HOST (as the scheduler leaves it), and its request spec. */
async function placedVolume(deps: CoreDeps, over: Partial<VolumeRecord> = {}) {
  const v = await createdVolume(deps, createRequest(userContext('p1'), { size: 1 }));
  await volumeUpdate(deps.dbh.db, v.id, { host: HOST, ...over });
  const placed = (await volumeGet(deps.dbh.db, v.id))!;
  return { volume: placed, spec: await requestSpecFromVolume(deps.dbh.db, placed) };
}

async function runManagerFlow(
  deps: CoreDeps,
  driver: VolumeDriver,
  scheduler: SchedulerRPCAPI,
  volumeId: string,
  spec: unknown,
  filter: FilterProperties,
  allowReschedule = true,
) {
  const state: RescheduleState = { rescheduled: false };
  const engine = new Engine(
    getFlow({
      deps,
      host: 'node1@file',
      driver,
      driverInitialized: () => true,
      scheduler,
      restoreBackup: (ctx, backupId, volumeId) => restoreBackupIntoNewVolume(deps, ctx, backupId, volumeId),
    }),
    {
      context: adminContext(),
      volume_id: volumeId,
      request_spec: spec,
      filter_properties: filter,
      allow_reschedule: allowReschedule,
      reschedule_state: state,
    },
  );
  let error: unknown = null;
  await engine.run().catch((e: unknown) => (error = e));
  return { state, error };
}

const RETRY: FilterProperties = { retry: { num_attempts: 1, backends: [HOST], hosts: [HOST] } };

test('a driver failure with no retry left: error, message 008_012, nothing rescheduled', async (t) => {
  const { deps } = await flowCore(t);
  const { volume, spec } = await placedVolume(deps);
  const boom = new Error('backend exploded');
  const d = fakeDriver(boom);
  const s = fakeScheduler();
  const r = await runManagerFlow(deps, d.driver, s.rpc, volume.id, spec, {});
  assert.equal(r.error, boom, 'the driver error is re-raised to the manager');
  assert.equal(r.state.rescheduled, false);
  const after = await volumeGet(deps.dbh.db, volume.id);
  assert.equal(after?.status, 'error');
  assert.equal(after?.host, HOST);
  assert.deepEqual(await messageEvents(deps, volume.id), ['VOLUME_VOLUME_008_012']);
  assert.deepEqual(s.casts, []);
  assert.deepEqual(d.deleted, []);
});

test('a driver failure with a retry entry: rescheduled (host cleared, request back with the error, leftovers removed)', async (t) => {
  const { deps } = await flowCore(t);
  const { volume, spec } = await placedVolume(deps);
  const d = fakeDriver(new Error('backend exploded'));
  const s = fakeScheduler();
  const r = await runManagerFlow(deps, d.driver, s.rpc, volume.id, spec, structuredClone(RETRY));
  assert.ok(r.error, 'the failure still reaches the manager (it gives the pool capacity back)');
  assert.equal(r.state.rescheduled, true);
  const after = await volumeGet(deps.dbh.db, volume.id);
  assert.equal(after?.status, 'creating', 'not errored: another backend gets a try');
  assert.equal(after?.host, null);
  assert.ok(after?.scheduled_at);
  assert.equal(s.casts.length, 1);
  assert.equal(s.casts[0]!.volumeId, volume.id);
  assert.equal(s.casts[0]!.filter.retry?.exc, 'Error: backend exploded');
  assert.deepEqual(s.casts[0]!.filter.retry?.backends, [HOST]);
  assert.deepEqual(d.deleted, [volume.id]);
  assert.deepEqual(await messageEvents(deps, volume.id), ['VOLUME_VOLUME_008_012']);
});

test('rescheduling not allowed, or an error no backend can help with: error, no reschedule', async (t) => {
  const { deps } = await flowCore(t);
  // allow_reschedule false (a migration target, a cluster takeover…)
  const a = await placedVolume(deps);
  const s = fakeScheduler();
  const r1 = await runManagerFlow(
    deps,
    fakeDriver(new Error('backend exploded')).driver,
    s.rpc,
    a.volume.id,
    a.spec,
    structuredClone(RETRY),
    false,
  );
  assert.ok(r1.error);
  assert.equal((await volumeGet(deps.dbh.db, a.volume.id))?.status, 'error');
  // A snapshot that is gone (SnapshotNotFound is in the no-reschedule list).
  const b = await placedVolume(deps, { snapshot_id: randomUUID() });
  const d = fakeDriver(null);
  const r2 = await runManagerFlow(deps, d.driver, s.rpc, b.volume.id, b.spec, structuredClone(RETRY));
  assert.equal((r2.error as Error | null)?.name, 'SnapshotNotFound');
  const after = await volumeGet(deps.dbh.db, b.volume.id);
  assert.equal(after?.status, 'error');
  assert.equal(after?.host, HOST);
  assert.deepEqual(s.casts, []);
  assert.deepEqual(d.deleted, []);
});

test('success: available, launched, the model update saved, create.start and create.end', async (t) => {
  const { deps, notifications } = await flowCore(t);
  const { volume, spec } = await placedVolume(deps);
  const s = fakeScheduler();
  const r = await runManagerFlow(
    deps,
    fakeDriver(null).driver,
    s.rpc,
    volume.id,
    spec,
    structuredClone(RETRY),
  );
  assert.equal(r.error, null);
  const after = await volumeGet(deps.dbh.db, volume.id);
  assert.equal(after?.status, 'available');
  assert.equal(after?.provider_location, 'here');
  assert.ok(after?.launched_at);
  assert.deepEqual(
    notifications.sent.filter((n) => n.payload.volume_id === volume.id).map((n) => n.event_type),
    ['volume.create.start', 'volume.create.end'],
  );
  assert.deepEqual(s.casts, []);
});
