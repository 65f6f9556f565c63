/**
 * The volume service's group endpoints (Cinder's `VolumeManager.create_group`, `delete_group`,
 * `update_group`, `create_group_from_src`, `create_group_snapshot`, `delete_group_snapshot`), the
 * generic way Cinder uses when a driver has no group support of its own: a group is bookkeeping,
 * and its volumes and snapshots are made and removed one by one through the usual paths.
 *
 * Groups of the consistency group type (`default_cgsnapshot_type`, made by `/consistencygroups`)
 * are not generic: Cinder hands them to the driver's consistency group calls
 * (`create_consistencygroup`, …), which Kindling's backends, like Cinder's LVM and RBD drivers, do
 * not have. So, as in Cinder with such a driver, each of these operations fails: the group (and the
 * volumes it was working on) end in `error`, and so does a group snapshot of such a group.
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import {
  groupConditionalUpdate,
  groupDestroy,
  groupGet,
  groupSnapshotDestroy,
  groupSnapshotGet,
  groupSnapshotUpdate,
  groupUpdate,
  groupVolumes,
  snapshotsOfGroupSnapshot,
  type GroupRecord,
} from '../db/api/groups.js';
import { snapshotUpdate } from '../db/api/snapshots.js';
import { volumeUpdate } from '../db/api/volumes.js';
import { isDefaultCgsnapshotType } from './cgsnapshot-type.js';
import type { RpcHandlers } from '../rpc/methods.js';
import type { VolumeRpcMethods } from './rpcapi.js';

/** What the group endpoints need of the volume service they belong to. */
export interface GroupManagerContext {
  readonly deps: CoreDeps;
  readonly host: string;
  /** The manager's create of a volume already placed here (from its row: snapshot, source…). */
  createVolume(ctx: RequestContext, volumeId: string): Promise<void>;
  /** The manager's delete of a volume already `deleting`. */
  deleteVolume(ctx: RequestContext, volumeId: string): Promise<void>;
  createSnapshot(ctx: RequestContext, snapshotId: string): Promise<void>;
  /** False when the snapshot was not `deleting`. */
  deleteSnapshot(ctx: RequestContext, snapshotId: string): Promise<boolean>;
}

const ids = (csv: unknown) => (typeof csv === 'string' && csv ? csv.split(',') : []);

export function groupEndpoints(
  m: GroupManagerContext,
): RpcHandlers<
  VolumeRpcMethods,
  | 'create_group'
  | 'delete_group'
  | 'update_group'
  | 'create_group_from_src'
  | 'create_group_snapshot'
  | 'delete_group_snapshot'
> {
  const db = m.deps.dbh.db;
  const notify = (g: GroupRecord, event: string, extra: Record<string, unknown> = {}) =>
    m.deps.notifier.notify(`volume.${m.host}`, `group.${event}`, {
      group_id: g.id,
      tenant_id: g.project_id,
      user_id: g.user_id,
      name: g.name,
      availability_zone: g.availability_zone,
      group_type: g.group_type_id,
      ...extra,
    });

  /** `available` when every live volume of the group is, else `error`. */
  async function settle(g: GroupRecord, event: string): Promise<void> {
    const vols = await groupVolumes(db, g.id);
    const status = vols.every((v) => v.status === 'available') ? 'available' : 'error';
    await groupConditionalUpdate(db, g.id, { status }, { status: ['creating', 'updating'] });
    await notify(g, `${event}.end`, { status });
  }

  const isCg = (groupTypeId: string | null) => isDefaultCgsnapshotType(db, groupTypeId);
  /** The driver's missing consistency group call, as Cinder logs its failure. */
  const noCgSupport = (what: string, ids: Record<string, string>, call: string) =>
    m.deps.log.error(
      ids,
      `${what} failed: the backend has no consistency group support (${call} is not implemented)`,
    );
  /** A consistency group whose operation failed: it, and the volumes named, go to `error`. */
  async function cgFailed(g: GroupRecord, volumeIds: readonly string[]): Promise<void> {
    await groupUpdate(db, g.id, { status: 'error' });
    for (const id of volumeIds) await volumeUpdate(db, id, { status: 'error' });
  }

  return {
    create_group: async (_ctx, a) => {
      const g = await groupGet(db, a.group_id);
      if (!g || g.status !== 'creating') return;
      await notify(g, 'create.start');
      if (await isCg(g.group_type_id)) {
        noCgSupport(`Group ${g.name}: create`, { group_id: g.id }, 'create_consistencygroup');
        await groupConditionalUpdate(db, g.id, { status: 'error' }, { status: ['creating'] });
        return;
      }
      await groupConditionalUpdate(db, g.id, { status: 'available' }, { status: ['creating'] });
      await notify(g, 'create.end', { status: 'available' });
    },

    create_group_from_src: async (ctx, a) => {
      const g = await groupGet(db, a.group_id);
      if (!g || g.status !== 'creating') return;
      await notify(g, 'create.start');
      if (await isCg(g.group_type_id)) {
        noCgSupport('Create group from source', { group_id: g.id }, 'create_consistencygroup_from_src');
        await cgFailed(
          g,
          (await groupVolumes(db, g.id)).map((v) => v.id),
        );
        return;
      }
      for (const v of await groupVolumes(db, g.id))
        if (v.status === 'creating') await m.createVolume(ctx, v.id);
      await settle(g, 'create');
    },

    update_group: async (_ctx, a) => {
      const g = await groupGet(db, a.group_id);
      if (!g) return;
      await notify(g, 'update.start');
      if (await isCg(g.group_type_id)) {
        noCgSupport(`Update of group ${g.id}`, { group_id: g.id }, 'update_consistencygroup');
        await cgFailed(g, [...ids(a.add_volumes), ...ids(a.remove_volumes)]);
        return;
      }
      for (const id of ids(a.add_volumes)) await volumeUpdate(db, id, { group_id: g.id });
      for (const id of ids(a.remove_volumes)) await volumeUpdate(db, id, { group_id: null });
      await groupUpdate(db, g.id, { status: 'available' });
      await notify(g, 'update.end', { status: 'available' });
    },

    delete_group: async (ctx, a) => {
      const g = await groupGet(db, a.group_id);
      if (!g || g.status !== 'deleting') return;
      await notify(g, 'delete.start');
      if (await isCg(g.group_type_id)) {
        noCgSupport(`Delete of group ${g.id}`, { group_id: g.id }, 'delete_consistencygroup');
        await cgFailed(
          g,
          (await groupVolumes(db, g.id)).map((v) => v.id),
        );
        return;
      }
      for (const v of await groupVolumes(db, g.id)) await m.deleteVolume(ctx, v.id);
      if ((await groupVolumes(db, g.id)).length > 0) {
        // NOTE: a volume the backend could not delete stays (error_deleting); so does the group.
        await groupUpdate(db, g.id, { status: 'error' });
        await notify(g, 'delete.end', { status: 'error' });
        return;
      }
      await groupDestroy(db, g.id);
      if (g.project_id) await m.deps.quotas.reserveAndCommit(g.project_id, { groups: -1 });
      await notify(g, 'delete.end', { status: 'deleted' });
    },

    create_group_snapshot: async (ctx, a) => {
      const gs = await groupSnapshotGet(db, a.group_snapshot_id);
      if (!gs || gs.status !== 'creating') return;
      const snapshots = await snapshotsOfGroupSnapshot(db, gs.id);
      if (await isCg(gs.group_type_id)) {
        // NOTE: Cinder leaves it `creating` (the driver's NotImplementedError escapes its handler).
        noCgSupport(`Group snapshot ${gs.id}: create`, { group_snapshot_id: gs.id }, 'create_cgsnapshot');
        await groupSnapshotUpdate(db, gs.id, { status: 'error' });
        for (const s of snapshots) await snapshotUpdate(db, s.id, { status: 'error' });
        return;
      }
      for (const s of snapshots) await m.createSnapshot(ctx, s.id);
      const after = await snapshotsOfGroupSnapshot(db, gs.id);
      const status = after.every((s) => s.status === 'available') ? 'available' : 'error';
      await groupSnapshotUpdate(db, gs.id, { status });
      await m.deps.notifier.notify(`volume.${m.host}`, 'group_snapshot.create.end', {
        group_snapshot_id: gs.id,
        group_id: gs.group_id,
        tenant_id: gs.project_id,
        status,
      });
    },

    delete_group_snapshot: async (ctx, a) => {
      const gs = await groupSnapshotGet(db, a.group_snapshot_id);
      if (!gs || gs.status !== 'deleting') return;
      if (await isCg(gs.group_type_id)) {
        // NOTE: Cinder leaves it `deleting` (the driver's NotImplementedError escapes its handler).
        noCgSupport(`Group snapshot ${gs.id}: delete`, { group_snapshot_id: gs.id }, 'delete_cgsnapshot');
        await groupSnapshotUpdate(db, gs.id, { status: 'error' });
        for (const s of await snapshotsOfGroupSnapshot(db, gs.id))
          await snapshotUpdate(db, s.id, { status: 'error' });
        return;
      }
      for (const s of await snapshotsOfGroupSnapshot(db, gs.id)) await m.deleteSnapshot(ctx, s.id);
      if ((await snapshotsOfGroupSnapshot(db, gs.id)).length > 0) {
        await groupSnapshotUpdate(db, gs.id, { status: 'error_deleting' });
        return;
      }
      await groupSnapshotDestroy(db, gs.id);
      await m.deps.notifier.notify(`volume.${m.host}`, 'group_snapshot.delete.end', {
        group_snapshot_id: gs.id,
        group_id: gs.group_id,
        tenant_id: gs.project_id,
      });
    },
  };
}
