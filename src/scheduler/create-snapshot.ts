/**
 * The scheduler's `create_snapshot` (Cinder's `SchedulerManager.create_snapshot`): before a
 * snapshot is made, the backend of its volume must still pass the filters for the volume's size
 * (a thick backend may have no room left for it); the size is then consumed from that backend's
 * state and the snapshot handed to its volume service. When the backend does not pass, the
 * snapshot goes to `error` with a `scheduler.create_snapshot` ERROR notification, as in Cinder,
 * and a user message (Cinder writes none here).
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { NoValidBackend } from '../common/errors.js';
import { snapshotGet, snapshotUpdate } from '../db/api/snapshots.js';
import { volumeGet } from '../db/api/volumes.js';
import { Action, Resource } from '../message/message-field.js';
import type { VolumeRPCAPI } from '../volume/rpcapi.js';
import type { FilterScheduler } from './filter-scheduler.js';
import type { CreateSnapshotArgs } from './rpcapi.js';

export async function scheduleCreateSnapshot(
  deps: CoreDeps,
  scheduler: FilterScheduler,
  volumeRpc: VolumeRPCAPI,
  ctx: RequestContext,
  args: CreateSnapshotArgs,
): Promise<void> {
  const db = deps.dbh.db;
  const snapshot = await snapshotGet(db, args.snapshot_id);
  // NOTE: a redelivered message for a snapshot already handed on (or deleted) is dropped.
  if (!snapshot || snapshot.status !== 'creating') return;
  const volume = await volumeGet(db, args.volume_id);
  if (!volume?.host) return;
  try {
    const pool = await scheduler.backendPassesFilters(args.backend, args.request_spec, {});
    pool.consumeFromVolume(args.request_spec.volume_properties.size);
  } catch (e) {
    if (!(e instanceof NoValidBackend)) throw e;
    await snapshotUpdate(db, snapshot.id, { status: 'error' });
    await deps.messages.create(ctx, Action.SNAPSHOT_CREATE, {
      resourceType: Resource.VOLUME_SNAPSHOT,
      resourceUuid: snapshot.id,
      projectId: snapshot.project_id,
      error: e,
    });
    await deps.notifier.notify(
      `scheduler.${deps.config.DEFAULT.host}`,
      'scheduler.create_snapshot',
      {
        request_spec: args.request_spec,
        snapshot_id: snapshot.id,
        state: 'error',
        method: 'create_snapshot',
        reason: e.message,
      },
      'ERROR',
    );
    deps.log.warn({ snapshot_id: snapshot.id, err: e.message }, 'Failed to schedule create_snapshot');
    return;
  }
  await volumeRpc.createSnapshot(
    ctx,
    { host: volume.host, cluster_name: volume.cluster_name },
    { snapshot_id: snapshot.id, volume_id: volume.id },
  );
}
