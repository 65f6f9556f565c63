/**
 * The volume service's group endpoints (Cinder's `VolumeManager.create_group`, `delete_group`,
 * `update_group`, `create_group_from_src`, `create_group_snapshot`, `delete_group_snapshot`), the
 * generic way Cinder uses when a driver has no group support of its own: a group is bookkeeping,
 * and its volumes and snapshots are made and removed one by one through the usual paths.
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
import { volumeUpdate } from '../db/api/volumes.js';

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

export function groupEndpoints(m: GroupManagerContext) {
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

  return {
    create_group: async (_ctx: RequestContext, a: Record<string, unknown>) => {
      const g = await groupGet(db, a.group_id as string);
      if (!g || g.status !== 'creating') return;
      await notify(g, 'create.start');
      await groupConditionalUpdate(db, g.id, { status: 'available' }, { status: ['creating'] });
      await notify(g, 'create.end', { status: 'available' });
    },

    create_group_from_src: async (ctx: RequestContext, a: Record<string, unknown>) => {
      const g = await groupGet(db, a.group_id as string);
      if (!g || g.status !== 'creating') return;
      await notify(g, 'create.start');
      for (const v of await groupVolumes(db, g.id))
        if (v.status === 'creating') await m.createVolume(ctx, v.id);
      await settle(g, 'create');
    },

    update_group: async (_ctx: RequestContext, a: Record<string, unknown>) => {
      const g = await groupGet(db, a.group_id as string);
      if (!g) return;
      await notify(g, 'update.start');
      for (const id of ids(a.add_volumes)) await volumeUpdate(db, id, { group_id: g.id });
      for (const id of ids(a.remove_volumes)) await volumeUpdate(db, id, { group_id: null });
      await groupUpdate(db, g.id, { status: 'available' });
      await notify(g, 'update.end', { status: 'available' });
    },

    delete_group: async (ctx: RequestContext, a: Record<string, unknown>) => {
      const g = await groupGet(db, a.group_id as string);
      if (!g || g.status !== 'deleting') return;
      await notify(g, 'delete.start');
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

    create_group_snapshot: async (ctx: RequestContext, a: Record<string, unknown>) => {
      const gs = await groupSnapshotGet(db, a.group_snapshot_id as string);
      if (!gs || gs.status !== 'creating') return;
      const snapshots = await snapshotsOfGroupSnapshot(db, gs.id);
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

    delete_group_snapshot: async (ctx: RequestContext, a: Record<string, unknown>) => {
      const gs = await groupSnapshotGet(db, a.group_snapshot_id as string);
      if (!gs || gs.status !== 'deleting') return;
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
