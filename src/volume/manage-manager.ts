/**
 * The manage half of a volume service (Cinder's `volume/manager.py` `manage_existing`,
 * `manage_existing_snapshot`, `get_manageable_volumes`, `get_manageable_snapshots`): runs the
 * manager flows under the resource's operation lock, and lists what the backend holds with the
 * service's own volumes and snapshots marked. Unmanage is the delete path's (`delete_volume` /
 * `delete_snapshot` with `unmanage_only`, in manager.ts and snapshot-manager.ts).
 */
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { DriverNotInitialized } from '../common/errors.js';
import { operationLockName } from '../coordination/index.js';
import { snapshotsOfService, snapshotStatusGet } from '../db/api/snapshots.js';
import { volumeGet, type VolumeRecord } from '../db/api/volumes.js';
import { volumesManagingOfService, volumesOfService } from '../db/api/volume-service-queries.js';
import { DynamicLogListener, Engine } from '../flow/index.js';
import { flowTraceListener } from '../flow-trace/store.js';
import type { ExistingRef, ManagedResource } from './driver.js';
import { volumeName } from './driver.js';
import { getFlow as manageVolumeFlow } from './flows/manager/manage-existing.js';
import { getFlow as manageSnapshotFlow } from './flows/manager/manage-existing-snapshot.js';
import type { ManagerFlowContext } from './flows/manager/create-volume.js';
import { paginateEntries } from './manageable.js';
import { MANAGE_REF_KEY } from './flows/api/manage-existing.js';
import type { ManageableListArgs, VolumeRpcMethods } from './rpcapi.js';
import type { RpcHandlers } from '../rpc/methods.js';
import { snapshotName } from './snapshot-driver.js';

/** What the manage endpoints borrow from their volume service. */
export interface ManageServiceContext {
  /** The manager flows' context (read when a flow starts: the service row exists by then). */
  readonly flow: () => ManagerFlowContext;
  /** `host@backend` of the service, and its `cluster@backend` when clustered. */
  readonly cluster: string | null;
  /** Whether this service may work on `v` (its backend's or its cluster's; taken over if so). */
  readonly takeIfOurs: (v: VolumeRecord) => Promise<boolean>;
}

export function manageService(m: ManageServiceContext) {
  const c0 = m.flow();
  const deps: CoreDeps = c0.deps;
  const host = c0.host;
  const driver = c0.driver;
  const db = () => deps.dbh.db;

  /** The service's volumes (Cinder's `_get_my_volumes`: by cluster when clustered, else host). */
  const myVolumes = async (): Promise<ManagedResource[]> => {
    const [col, where] = m.cluster ? (['cluster_name', m.cluster] as const) : (['host', host] as const);
    const rows = await volumesOfService(db(), { column: col, where });
    return rows.map((r) => ({ id: r.id, name: volumeName(r.id), size: r.size }));
  };

  const mySnapshots = async (): Promise<ManagedResource[]> => {
    const [col, where] = m.cluster
      ? (['volumes.cluster_name', m.cluster] as const)
      : (['volumes.host', host] as const);
    const rows = await snapshotsOfService(db(), { column: col, where });
    return rows.map((r) => ({ id: r.id, name: snapshotName(r.id), volume_id: r.volume_id, size: r.size }));
  };

  const page = <T extends { reference: Record<string, unknown>; size: number | null }>(
    entries: T[],
    a: ManageableListArgs,
  ): T[] => paginateEntries(entries, a.marker, a.limit, a.offset, a.sort_keys, a.sort_dirs);

  const requireDriver = (what: string) => {
    if (!c0.driverInitialized()) {
      deps.log.error({ host }, `Listing manageable ${what} failed, due to uninitialized driver.`);
      throw new DriverNotInitialized();
    }
  };

  const endpoints: RpcHandlers<
    VolumeRpcMethods,
    'manage_existing' | 'manage_existing_snapshot' | 'get_manageable_volumes' | 'get_manageable_snapshots'
  > = {
    /** `manage_existing`: the manager flow for a volume still `managing` on this backend. */
    manage_existing: async (ctx, a) => {
      const volumeId = a.volume_id;
      await deps.coordinator.withLock(operationLockName(volumeId, 'volume_op'), async () => {
        const v = await volumeGet(db(), volumeId);
        if (!v || v.status !== 'managing' || !(await m.takeIfOurs(v))) return;
        const flow = manageVolumeFlow(m.flow());
        const trace = flowTraceListener(deps, flow, {
          volumeId,
          projectId: v.project_id,
          requestId: ctx.requestId,
          host,
        });
        const log = deps.log.child({ request_id: ctx.requestId, volume_id: volumeId, host });
        const engine = new Engine(flow, { context: ctx, volume: v, manage_existing_ref: a.ref }, [
          new DynamicLogListener(log),
          trace,
        ]);
        try {
          await engine.run();
        } catch (e) {
          log.error({ err: e, ref: a.ref }, 'manage_existing failed');
        }
      });
    },

    /** `manage_existing_snapshot`: the manager flow for a snapshot still `creating`. */
    manage_existing_snapshot: async (ctx, a) => {
      const snapshotId = a.snapshot_id;
      // NOTE: as Cinder's RBD driver, a reference that is not a dict is the snapshot's name.
      const ref = (
        a.ref && typeof a.ref === 'object' && !Array.isArray(a.ref) ? a.ref : { 'source-name': a.ref }
      ) as ExistingRef;
      await deps.coordinator.withLock(operationLockName(snapshotId, 'snapshot_op'), async () => {
        const s = await snapshotStatusGet(db(), snapshotId);
        if (!s || s.status !== 'creating') return;
        const log = deps.log.child({ request_id: ctx.requestId, snapshot_id: snapshotId, host });
        const engine = new Engine(
          manageSnapshotFlow(m.flow()),
          { context: ctx, snapshot_id: snapshotId, manage_existing_ref: ref },
          [new DynamicLogListener(log)],
        );
        try {
          await engine.run();
        } catch (e) {
          log.error({ err: e, ref }, 'manage_existing_snapshot failed');
        }
      });
    },

    get_manageable_volumes: async (_ctx, a) => {
      requireDriver('volumes');
      if (!driver.getManageableVolumes) return [];
      const entries = await driver.getManageableVolumes(await myVolumes(), await mySnapshots());
      return page(entries, a);
    },

    get_manageable_snapshots: async (_ctx, a) => {
      requireDriver('snapshots');
      if (!driver.getManageableSnapshots) return [];
      const entries = await driver.getManageableSnapshots(await mySnapshots(), await myVolumes());
      return page(entries, a);
    },
  };

  /**
   * Kindling: volumes of this backend left `managing` by a run that died (their reference kept in
   * the admin metadata) are managed again; the drivers find an object they already renamed.
   */
  const resumeManaging = async (): Promise<string[]> => {
    const [col, where] = m.cluster ? (['cluster_name', m.cluster] as const) : (['host', host] as const);
    const rows = await volumesManagingOfService(db(), { column: col, where }, MANAGE_REF_KEY);
    for (const r of rows) {
      deps.log.warn({ volume_id: r.id, ref: r.ref }, 'Resuming the manage of a volume left managing');
      await endpoints.manage_existing(adminContext(), {
        volume_id: r.id,
        ref: JSON.parse(r.ref) as ExistingRef,
      });
    }
    return rows.map((r) => r.id);
  };

  return { endpoints, resumeManaging };
}
