/**
 * Group snapshots, the second half of Cinder's `group/api.py`: a snapshot of every volume of the
 * group, taken together by the group's backend; get, list, create, delete, reset status.
 */
import type { RequestContext } from '../common/context.js';
import { elevated } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { authorize } from '../auth/policy.js';
import { GroupSnapshotNotFound, InvalidGroupSnapshot, InvalidVolume } from '../common/errors.js';
import { newUuid } from '../common/uuid.js';
import type { PageRequest } from '../db/api/common.js';
import {
  GROUP_SNAPSHOT_COLUMNS,
  GroupMarkerNotFound,
  groupCreatingFromSource,
  groupGet,
  groupSnapshotConditionalUpdate,
  groupSnapshotCreate,
  groupSnapshotDestroy,
  groupSnapshotGet,
  groupSnapshotGetAll,
  groupSnapshotUpdate,
  groupVolumes,
  snapshotsOfGroupSnapshot,
  type GroupRecord,
  type GroupSnapshotRecord,
} from '../db/api/groups.js';
import { snapshotCreate, snapshotDestroy, snapshotUpdate } from '../db/api/snapshots.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { isoNow } from '../common/time.js';
import { OverQuota, overQuotaToError } from '../quota/over-quota.js';
import { assertNotFrozen } from '../volume/backend-admin.js';
import { snapshotDeltas } from '../volume/snapshot-quota.js';
import { GroupRPCAPI, groupPlacement } from './rpcapi.js';

// NOTE: re-exported as it is, so the API reads the columns a group snapshot list filters and sorts
// by here.
export { GROUP_SNAPSHOT_COLUMNS };

export class GroupSnapshotAPI {
  readonly #rpc: GroupRPCAPI;

  constructor(private readonly deps: CoreDeps) {
    this.#rpc = new GroupRPCAPI(deps.transport);
  }

  get #db() {
    return this.deps.dbh.db;
  }

  async getGroupSnapshot(ctx: RequestContext, id: string): Promise<GroupSnapshotRecord> {
    const s = await groupSnapshotGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!s) throw new GroupSnapshotNotFound(id);
    authorize(ctx, 'group:get_group_snapshot', s.project_id);
    return s;
  }

  /** A page of group snapshots; a marker naming none is `GroupSnapshotNotFound`. */
  async getAllGroupSnapshots(
    ctx: RequestContext,
    f: { allTenants: boolean; columns: Record<string, string> },
    page: PageRequest,
  ): Promise<GroupSnapshotRecord[]> {
    authorize(ctx, 'group:get_all_group_snapshots');
    const projectId = ctx.isAdmin && f.allTenants ? null : ctx.projectId;
    try {
      return await groupSnapshotGetAll(this.#db, { projectId, columns: f.columns }, page);
    } catch (e) {
      if (e instanceof GroupMarkerNotFound) throw new GroupSnapshotNotFound(e.marker);
      throw e;
    }
  }

  /**
   * `API.create_group_snapshot`: the group snapshot and a snapshot row per volume (quota reserved
   * for all at once), then the group's backend takes them.
   */
  async createGroupSnapshot(
    ctx: RequestContext,
    group: GroupRecord,
    name: string | null,
    description: string | null,
  ): Promise<GroupSnapshotRecord> {
    authorize(ctx, 'group:create_group_snapshot', group.project_id);
    await assertNotFrozen(this.#db, group);
    const volumes = await groupVolumes(this.#db, group.id);
    for (const v of volumes) {
      authorize(ctx, 'volume:create_snapshot', v.project_id);
      if (!v.host)
        throw new InvalidVolume(
          'The snapshot cannot be created because volume has not been scheduled to any host.',
        );
      if (v.status === 'maintenance')
        throw new InvalidVolume('The snapshot cannot be created when the volume is in maintenance mode.');
      if (![null, 'deleting', 'error', 'success'].includes(v.migration_status))
        throw new InvalidVolume('Snapshot cannot be created while volume is migrating.');
      if (v.status === 'error')
        throw new InvalidVolume('The snapshot cannot be created when the volume is in error status.');
    }
    const deltas: Record<string, number> = {};
    for (const v of volumes) {
      const type = v.volume_type_id ? await volumeTypeGet(this.#db, v.volume_type_id, true) : null;
      for (const [k, n] of Object.entries(snapshotDeltas(v.size, type?.name ?? null)))
        deltas[k] = (deltas[k] ?? 0) + n;
    }
    const groupSnapshot = await groupSnapshotCreate(this.#db, {
      id: newUuid(),
      group_id: group.id,
      user_id: ctx.userId,
      project_id: ctx.projectId,
      name,
      description,
      status: 'creating',
      group_type_id: group.group_type_id,
    });
    let reservations: string[] = [];
    const made: string[] = [];
    try {
      if (Object.keys(deltas).length) {
        try {
          reservations = await this.deps.quotas.reserve(ctx.projectId!, deltas);
        } catch (e) {
          if (e instanceof OverQuota) throw overQuotaToError(e, deltas);
          throw e;
        }
      }
      for (const v of volumes) {
        const s = await snapshotCreate(this.#db, {
          id: newUuid(),
          volume_id: v.id,
          user_id: ctx.userId,
          project_id: ctx.projectId,
          status: 'creating',
          progress: '0%',
          volume_size: v.size,
          display_name: name,
          display_description: description,
          volume_type_id: v.volume_type_id,
          provider_location: null,
          use_quota: 1,
          group_snapshot_id: groupSnapshot.id,
          created_at: isoNow(),
        });
        made.push(s.id);
      }
      await this.deps.quotas.commit(reservations);
    } catch (e) {
      for (const id of made) await snapshotDestroy(this.#db, id);
      if (reservations.length) await this.deps.quotas.rollback(reservations);
      await groupSnapshotDestroy(this.#db, groupSnapshot.id);
      throw e;
    }
    await this.#rpc.createGroupSnapshot(ctx, groupPlacement(group), groupSnapshot.id);
    return groupSnapshot;
  }

  /** `API.delete_group_snapshot`: `deleting` (it and its snapshots); the group's backend deletes them. */
  async deleteGroupSnapshot(ctx: RequestContext, gs: GroupSnapshotRecord): Promise<void> {
    authorize(ctx, 'group:delete_group_snapshot', gs.project_id);
    const group = await groupGet(this.#db, gs.group_id);
    if (group) await assertNotFrozen(this.#db, group);
    const inUse = await groupCreatingFromSource(this.#db, { groupSnapshotId: gs.id });
    if (
      inUse ||
      !(await groupSnapshotConditionalUpdate(
        this.#db,
        gs.id,
        { status: 'deleting' },
        { status: ['available', 'error'] },
      ))
    )
      throw new InvalidGroupSnapshot(
        'GroupSnapshot status must be available or error, and no Group can be currently using it as source for its creation.',
      );
    for (const s of await snapshotsOfGroupSnapshot(this.#db, gs.id))
      await snapshotUpdate(this.#db, s.id, { status: 'deleting' });
    if (!group?.host) {
      // NOTE: no backend holds its snapshots (the group was never placed): nothing to remove.
      await groupSnapshotDestroy(this.#db, gs.id);
      return;
    }
    await this.#rpc.deleteGroupSnapshot(elevated(ctx), groupPlacement(group), gs.id);
  }

  /** `API.reset_group_snapshot_status` (admin). */
  async resetGroupSnapshotStatus(
    ctx: RequestContext,
    gs: GroupSnapshotRecord,
    status: string,
  ): Promise<void> {
    authorize(ctx, 'group:reset_group_snapshot_status', gs.project_id);
    await groupSnapshotUpdate(this.#db, gs.id, { status });
  }
}
