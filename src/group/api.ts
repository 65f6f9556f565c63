/**
 * The generic volume group API (Cinder's `group/api.py`): create a group (placed by the scheduler,
 * then made by its backend), create one from a group snapshot or another group, update its name,
 * description and volumes, delete it (with its volumes), reset its status. Group snapshots are
 * snapshot-api.ts.
 */
import type { RequestContext } from '../common/context.js';
import { elevated } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { authorize } from '../auth/policy.js';
import {
  GroupLimitExceeded,
  GroupNotFound,
  GroupTypeNotFound,
  GroupTypeNotFoundByName,
  InvalidGroup,
  InvalidGroupType,
  InvalidInput,
  InvalidVolume,
  NotImplementedYet,
} from '../common/errors.js';
import { pythonRepr } from '../common/strutils.js';
import { isUuidLike, newUuid } from '../common/uuid.js';
import type { PageRequest } from '../db/api/common.js';
import {
  GROUP_COLUMNS,
  GroupMarkerNotFound,
  groupConditionalUpdate,
  groupCreate,
  groupCreatingFromSource,
  groupDestroy,
  groupGet,
  groupGetAll,
  groupHasSnapshots,
  groupTypeGet,
  groupTypeGetByName,
  groupUpdate,
  groupVolumes,
  groupVolumeTypeMappingCreate,
  snapshotsOfGroupSnapshot,
  type GroupRecord,
  type GroupSnapshotRecord,
  type GroupTypeRecord,
} from '../db/api/groups.js';
import { snapshotGet, snapshotsForVolume } from '../db/api/snapshots.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { volumeGet, volumeUpdate } from '../db/api/volumes.js';
import { OverQuota } from '../quota/over-quota.js';
import type { VolumeAPI } from '../volume/api.js';
import { assertNotFrozen } from '../volume/backend-admin.js';
import { getVolumeTypeByNameOrId } from '../volume/volume-types.js';
import { GroupRPCAPI, groupPlacement } from './rpcapi.js';
import { GroupSnapshotAPI } from './snapshot-api.js';
import { validateAddVolumes, validateRemoveVolumes } from './update-volumes.js';

// NOTE: re-exported as it is, so the API reads the columns a group list filters and sorts by here.
export { GROUP_COLUMNS };

export class GroupAPI {
  readonly #rpc: GroupRPCAPI;
  readonly #snapshots: GroupSnapshotAPI;

  constructor(
    private readonly deps: CoreDeps,
    private readonly volumes: VolumeAPI,
  ) {
    this.#rpc = new GroupRPCAPI(deps.transport);
    this.#snapshots = new GroupSnapshotAPI(deps);
  }

  get #db() {
    return this.deps.dbh.db;
  }

  /** A group the caller may see, or 404. */
  async get(ctx: RequestContext, id: string): Promise<GroupRecord> {
    const g = await groupGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!g) throw new GroupNotFound(id);
    authorize(ctx, 'group:get', g.project_id);
    return g;
  }

  /** A page of groups; a marker naming none is `GroupNotFound`. */
  async getAll(
    ctx: RequestContext,
    f: { allTenants: boolean; columns: Record<string, string> },
    page: PageRequest,
  ): Promise<GroupRecord[]> {
    authorize(ctx, 'group:get_all');
    const projectId = ctx.isAdmin && f.allTenants ? null : ctx.projectId;
    try {
      return await groupGetAll(this.#db, { projectId, columns: f.columns }, page);
    } catch (e) {
      if (e instanceof GroupMarkerNotFound) throw new GroupNotFound(e.marker);
      throw e;
    }
  }

  /** The live volumes of a group. */
  groupVolumes(groupId: string) {
    return groupVolumes(this.#db, groupId);
  }

  /** A group type by id, falling back to a uuid-like name (Cinder's lookup in `API.create`). */
  async #groupType(ref: string): Promise<GroupTypeRecord> {
    if (!isUuidLike(ref)) {
      const byName = await groupTypeGetByName(this.#db, ref);
      if (!byName) throw new GroupTypeNotFoundByName(ref);
      return byName;
    }
    const t = (await groupTypeGet(this.#db, ref)) ?? (await groupTypeGetByName(this.#db, ref));
    if (!t) throw new GroupTypeNotFound(ref);
    return t;
  }

  /** Cinder's `_extract_availability_zone` for groups. */
  async #availabilityZone(requested: string | null): Promise<string> {
    const cfg = this.deps.config.DEFAULT;
    const known = new Set((await this.volumes.azs.list(false)).map((z) => z.name));
    known.add(cfg.storage_availability_zone);
    const az = requested ?? cfg.default_availability_zone ?? cfg.storage_availability_zone;
    if (known.has(az)) return az;
    if (cfg.allow_availability_zone_fallback)
      return cfg.default_availability_zone ?? cfg.storage_availability_zone;
    throw new InvalidInput(`Availability zone '${az}' is invalid.`);
  }

  async #reserveGroup(projectId: string): Promise<string[]> {
    try {
      return await this.deps.quotas.reserve(projectId, { groups: 1 });
    } catch (e) {
      if (e instanceof OverQuota) throw new GroupLimitExceeded(e.quotas.groups ?? 0);
      throw e;
    }
  }

  /**
   * `API.create`: the group row in `creating` (its volume types mapped, `groups` quota used), then
   * the scheduler chooses a backend that takes every one of its volume types.
   */
  async create(
    ctx: RequestContext,
    req: {
      name: string | null;
      description: string | null;
      groupType: string;
      volumeTypes: readonly string[];
      availabilityZone: string | null;
    },
  ): Promise<GroupRecord> {
    authorize(ctx, 'group:create', ctx.projectId);
    const admin = elevated(ctx);
    const types = [];
    for (const ref of req.volumeTypes) types.push(await getVolumeTypeByNameOrId(this.#db, admin, ref));
    const groupType = await this.#groupType(req.groupType);
    const availabilityZone = await this.#availabilityZone(req.availabilityZone);
    const reservations = await this.#reserveGroup(ctx.projectId!);
    let group: GroupRecord;
    try {
      group = await groupCreate(this.#db, {
        id: newUuid(),
        user_id: ctx.userId,
        project_id: ctx.projectId,
        host: null,
        cluster_name: null,
        availability_zone: availabilityZone,
        name: req.name,
        description: req.description,
        group_type_id: groupType.id,
        status: 'creating',
        group_snapshot_id: null,
        source_group_id: null,
        replication_status: 'disabled',
        volume_type_ids: types.map((t) => t.id),
      });
    } catch (e) {
      await this.deps.quotas.rollback(reservations);
      throw e;
    }
    await this.deps.quotas.commit(reservations);
    await this.#rpc.scheduleGroup(ctx, {
      group_id: group.id,
      volume_type_ids: group.volume_type_ids,
      availability_zone: availabilityZone,
    });
    return group;
  }

  /**
   * `API.create_from_src`: a new group on the source's backend, with a volume for each snapshot of
   * the group snapshot (or a clone of each volume of the source group); the rows are written here
   * and the group's backend creates the volumes.
   */
  async createFromSrc(
    ctx: RequestContext,
    req: {
      name: string | null;
      description: string | null;
      groupSnapshotId: string | null;
      sourceGroupId: string | null;
    },
  ): Promise<GroupRecord> {
    authorize(ctx, 'group:create', ctx.projectId);
    let source: GroupRecord;
    let groupSnapshot: GroupSnapshotRecord | null = null;
    if (req.groupSnapshotId) {
      groupSnapshot = await this.#snapshots.getGroupSnapshot(ctx, req.groupSnapshotId);
      source = await this.get(ctx, groupSnapshot.group_id);
    } else {
      source = await this.get(ctx, req.sourceGroupId!);
    }
    const reservations = await this.#reserveGroup(ctx.projectId!);
    let group: GroupRecord;
    try {
      // Cinder's `group_create` with a source: type, zone and backend are the source's.
      group = await groupCreate(this.#db, {
        id: newUuid(),
        user_id: ctx.userId,
        project_id: ctx.projectId,
        host: source.host,
        cluster_name: source.cluster_name,
        availability_zone: source.availability_zone,
        name: req.name,
        description: req.description,
        group_type_id: groupSnapshot?.group_type_id ?? source.group_type_id,
        status: 'creating',
        group_snapshot_id: req.groupSnapshotId,
        source_group_id: req.groupSnapshotId ? null : source.id,
        replication_status: 'disabled',
        volume_type_ids: source.volume_type_ids,
      });
    } catch (e) {
      await this.deps.quotas.rollback(reservations);
      throw e;
    }
    await this.deps.quotas.commit(reservations);
    if (!group.host) {
      await this.#undoCreateFromSrc(ctx, group);
      throw new InvalidGroup(`No valid host to create group ${group.id}.`);
    }
    try {
      await assertNotFrozen(this.#db, group);
      await (groupSnapshot
        ? this.#volumesFromGroupSnapshot(ctx, group, groupSnapshot)
        : this.#volumesFromSourceGroup(ctx, group, source));
    } catch (e) {
      await this.#undoCreateFromSrc(ctx, group);
      throw e;
    }
    // Cinder's `_update_volumes_host`: the new volumes live on the group's backend.
    for (const v of await groupVolumes(this.#db, group.id))
      await volumeUpdate(this.#db, v.id, { host: group.host, cluster_name: group.cluster_name });
    await this.#rpc.createGroupFromSrc(ctx, groupPlacement(group), group.id);
    return group;
  }

  async #volumesFromGroupSnapshot(
    ctx: RequestContext,
    group: GroupRecord,
    gs: GroupSnapshotRecord,
  ): Promise<void> {
    const snapshots = await snapshotsOfGroupSnapshot(this.#db, gs.id);
    if (snapshots.length === 0) throw new InvalidGroup('Group snapshot is empty. No group will be created.');
    for (const s of snapshots) {
      const snapshot = (await snapshotGet(this.#db, s.id))!;
      const type = s.volume_type_id ? await volumeTypeGet(this.#db, s.volume_type_id) : null;
      if (type) await groupVolumeTypeMappingCreate(this.#db, group.id, type.id);
      await this.#createMember(ctx, group, s.volume_size, type, { snapshot, source_volume: null });
    }
  }

  async #volumesFromSourceGroup(ctx: RequestContext, group: GroupRecord, source: GroupRecord): Promise<void> {
    const volumes = await groupVolumes(this.#db, source.id);
    if (volumes.length === 0) throw new InvalidGroup('Source Group is empty. No group will be created.');
    for (const v of volumes) {
      const sourceVolume = (await volumeGet(this.#db, v.id))!;
      const type = v.volume_type_id ? await volumeTypeGet(this.#db, v.volume_type_id) : null;
      if (type) await groupVolumeTypeMappingCreate(this.#db, group.id, type.id);
      await this.#createMember(ctx, group, v.size, type, { snapshot: null, source_volume: sourceVolume });
    }
  }

  /** One volume row of a group made from a source (quota reserved; not cast: the backend makes it). */
  async #createMember(
    ctx: RequestContext,
    group: GroupRecord,
    size: number,
    type: Awaited<ReturnType<typeof volumeTypeGet>>,
    source: Pick<Parameters<VolumeAPI['create']>[1], 'snapshot' | 'source_volume'>,
  ): Promise<void> {
    await this.volumes.create(ctx, {
      size,
      name: null,
      description: null,
      volume_type: type,
      metadata: {},
      availability_zone: group.availability_zone,
      ...source,
      image_id: null,
      backup: null,
      group_id: group.id,
      scheduler_hints: null,
      group,
      defer_cast: true,
    });
  }

  /** Cinder's revert of a failed create from source: its volumes deleted (quota back), then the group. */
  async #undoCreateFromSrc(ctx: RequestContext, group: GroupRecord): Promise<void> {
    for (const v of await groupVolumes(this.#db, group.id)) {
      const row = (await volumeGet(this.#db, v.id))!;
      await volumeUpdate(this.#db, v.id, { group_id: null, host: null, cluster_name: null, status: 'error' });
      await this.volumes.delete(
        ctx,
        { ...row, group_id: null, host: null, cluster_name: null, status: 'error' },
        {
          cascade: false,
          force: false,
        },
      );
    }
    await this.#destroyReleasingQuota(group);
  }

  async #destroyReleasingQuota(group: GroupRecord): Promise<void> {
    await groupDestroy(this.#db, group.id);
    if (group.project_id) await this.deps.quotas.reserveAndCommit(group.project_id, { groups: -1 });
  }

  /**
   * `API.delete`: a group never placed goes at once; otherwise it goes to `deleting` (its volumes
   * too, with `delete_volumes`) and its backend deletes them.
   */
  async delete(ctx: RequestContext, group: GroupRecord, deleteVolumes: boolean): Promise<void> {
    authorize(ctx, 'group:delete', group.project_id);
    if (!group.host) {
      await this.#destroyReleasingQuota(group);
      return;
    }
    await assertNotFrozen(this.#db, group);
    if (!deleteVolumes && !['available', 'error'].includes(group.status))
      throw new InvalidGroup(
        `Group status must be available or error, but current status is: ${group.status}`,
      );
    if (await groupHasSnapshots(this.#db, group.id)) throw new InvalidGroup('Group has existing snapshots.');
    const volumes = await groupVolumes(this.#db, group.id);
    if (volumes.length && !deleteVolumes)
      throw new InvalidGroup(
        `Group ${group.id} still contains volumes. The delete-volumes flag is required to delete it.`,
      );
    for (const v of volumes) {
      if (v.attach_status === 'attached')
        throw new InvalidGroup(`Volume in group ${group.id} is attached. Need to detach first.`);
      if ((await snapshotsForVolume(this.#db, v.id)).length)
        throw new InvalidGroup('Volume in group still has dependent snapshots.');
    }
    const expected = deleteVolumes ? {} : { status: ['available', 'error'] };
    const busy =
      (await groupHasSnapshots(this.#db, group.id)) ||
      (await groupCreatingFromSource(this.#db, { groupId: group.id }));
    if (busy || !(await groupConditionalUpdate(this.#db, group.id, { status: 'deleting' }, expected))) {
      const reason = deleteVolumes
        ? 'Group status must be available or error and must not have dependent group snapshots'
        : 'Group must not have attached volumes, volumes with snapshots, or dependent group snapshots';
      throw new InvalidGroup(
        `Cannot delete group ${group.id}. ${reason}, and it cannot be the source for an ongoing group or group snapshot creation.`,
      );
    }
    for (const v of volumes) await volumeUpdate(this.#db, v.id, { status: 'deleting' });
    await this.#rpc.deleteGroup(ctx, groupPlacement(group), group.id);
  }

  /**
   * `API.update`: name and description at once; volumes to add or remove (comma-separated ids) are
   * checked here and moved by the group's backend, the group `updating` meanwhile.
   */
  async update(
    ctx: RequestContext,
    group: GroupRecord,
    req: {
      name: string | null;
      description: string | null;
      addVolumes: string | null;
      removeVolumes: string | null;
    },
  ): Promise<void> {
    authorize(ctx, 'group:update', group.project_id);
    const name = req.name === group.name ? null : req.name;
    const description = req.description === group.description ? null : req.description;
    const split = (s: string | null) => (s ? s.replace(/^,+|,+$/g, '').split(',') : []);
    const addList = split(req.addVolumes);
    const removeList = split(req.removeVolumes);
    const both = addList.filter((id) => removeList.includes(id));
    if (both.length)
      throw new InvalidVolume(`UUIDs ${pythonRepr(both)} are in both add and remove volume list.`);
    const volumes = await groupVolumes(this.#db, group.id);
    const add = addList.length ? await validateAddVolumes(this.#db, ctx, volumes, addList, group) : [];
    const remove = removeList.length ? validateRemoveVolumes(volumes, removeList, group) : [];
    if (name === null && description === null && !add.length && !remove.length)
      throw new InvalidGroup(
        `Cannot update group ${group.id} because no valid name, description, add_volumes, or remove_volumes were provided.`,
      );
    const fields: { name?: string; description?: string; status: string } = {
      status: add.length || remove.length ? 'updating' : 'available',
    };
    if (name !== null) fields.name = name;
    if (description !== null) fields.description = description;
    const expected = add.length || remove.length ? { status: ['available'] } : {};
    if (!(await groupConditionalUpdate(this.#db, group.id, fields, expected)))
      throw new InvalidGroup('Group status must be available.');
    if (add.length || remove.length)
      await this.#rpc.updateGroup(ctx, groupPlacement(group), {
        group_id: group.id,
        add_volumes: add.join(','),
        remove_volumes: remove.join(','),
      });
  }

  /** `API.reset_status` (admin): any status the schema allowed. */
  async resetStatus(ctx: RequestContext, group: GroupRecord, status: string): Promise<void> {
    authorize(ctx, 'group:reset_status', group.project_id);
    await groupUpdate(this.#db, group.id, { status });
  }

  /**
   * Replication of groups (`enable_replication`, …): Cinder's type checks, then a 501, since no
   * Kindling backend replicates.
   */
  async replication(ctx: RequestContext, group: GroupRecord, action: string): Promise<never> {
    authorize(ctx, `group:${action}`, group.project_id);
    const type = await groupTypeGet(this.#db, group.group_type_id);
    if (!/^<is>\s*true$/i.test((type?.group_specs.group_replication_enabled ?? '').trim()))
      throw new InvalidGroupType(`Group ${group.id} is not a replication group type.`);
    throw new NotImplementedYet('Replication of groups is not supported by Kindling.');
  }
}
