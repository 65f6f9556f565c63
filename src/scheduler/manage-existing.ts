/**
 * The scheduler's `manage_existing` and `manage_existing_snapshot` (Cinder's
 * `SchedulerManager.manage_existing*`): the backend the request names (`host@backend[#pool]` or its
 * cluster) must pass the filters for the volume (its type's capabilities, its zone); the volume
 * then gets the pool's full host and is handed to that backend's service. When it does not pass,
 * the volume ends `error_managing` (a snapshot `error`) with a `scheduler.<method>` ERROR
 * notification, as in Cinder.
 */
import type { CoreDeps } from '../common/deps.js';
import { NoValidBackend } from '../common/errors.js';
import { snapshotConditionalUpdate, snapshotGet } from '../db/api/snapshots.js';
import { volumeConditionalUpdate, volumeGet } from '../db/api/volumes.js';
import type { VolumeRPCAPI } from '../volume/rpcapi.js';
import type { RpcHandlers } from '../rpc/methods.js';
import type { FilterScheduler } from './filter-scheduler.js';
import type { SchedulerRpcMethods } from './rpcapi.js';
import type { RequestSpec } from './types.js';

export function manageExistingEndpoints(
  deps: CoreDeps,
  scheduler: FilterScheduler,
  volumeRpc: VolumeRPCAPI,
): RpcHandlers<SchedulerRpcMethods, 'manage_existing' | 'manage_existing_snapshot'> {
  const notifyError = async (method: string, spec: RequestSpec, state: Record<string, unknown>, e: Error) =>
    deps.notifier.notify(
      `scheduler.${deps.config.DEFAULT.host}`,
      `scheduler.${method}`,
      { request_spec: spec, ...state, method, reason: e.message },
      'ERROR',
    );

  return {
    manage_existing: async (ctx, args) => {
      const db = deps.dbh.db;
      const v = await volumeGet(db, args.volume_id);
      // NOTE: a redelivered message for a volume already handed on (or gone) is dropped.
      if (!v || v.status !== 'managing' || !v.host) return;
      try {
        const pool = await scheduler.backendPassesFilters(v.cluster_name || v.host, args.request_spec, {});
        // At the API the pool may not have been known: the volume is placed on it now.
        await volumeConditionalUpdate(
          db,
          v.id,
          { host: pool.host, cluster_name: pool.cluster_name },
          { status: ['managing'] },
        );
        await volumeRpc.manageExisting(
          ctx,
          { host: pool.host, cluster_name: pool.cluster_name },
          { volume_id: v.id, ref: args.ref },
        );
      } catch (e) {
        await volumeConditionalUpdate(db, v.id, { status: 'error_managing' }, { status: ['managing'] });
        await notifyError(
          'manage_existing',
          args.request_spec,
          { volume_id: v.id, volume_state: { status: 'error_managing' } },
          e as Error,
        );
        deps.log.warn({ volume_id: v.id, err: (e as Error).message }, 'Failed to schedule manage_existing');
        if (!(e instanceof NoValidBackend)) throw e;
      }
    },

    manage_existing_snapshot: async (ctx, args) => {
      const db = deps.dbh.db;
      const s = await snapshotGet(db, args.snapshot_id);
      if (!s || s.status !== 'creating') return;
      const volume = await volumeGet(db, args.volume_id);
      if (!volume?.host) return;
      try {
        const pool = await scheduler.backendPassesFilters(
          volume.cluster_name || volume.host,
          args.request_spec,
          {},
        );
        pool.consumeFromVolume(volume.size);
      } catch (e) {
        if (!(e instanceof NoValidBackend)) throw e;
        await snapshotConditionalUpdate(db, s.id, { status: 'error' }, { status: ['creating'] });
        await notifyError(
          'manage_existing_snapshot',
          args.request_spec,
          { snapshot_id: s.id, state: 'error' },
          e,
        );
        return;
      }
      await volumeRpc.manageExistingSnapshot(
        ctx,
        { host: volume.host, cluster_name: volume.cluster_name },
        { snapshot_id: s.id, ref: args.ref },
      );
    },
  };
}
