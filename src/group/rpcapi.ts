/**
 * The group casts (Cinder's `scheduler/rpcapi.py` `create_group` and `volume/rpcapi.py`
 * `create_group`, `delete_group`, `update_group`, `create_group_from_src`,
 * `create_group_snapshot`, `delete_group_snapshot`): to the scheduler to place a new group, then
 * to the volume service of the group's backend.
 */
import type { RequestContext } from '../common/context.js';
import { SCHEDULER_TOPIC, volumeTarget, type Transport } from '../rpc/transport.js';
import { serviceTopicQueue, type VolumePlacement } from '../volume/rpcapi.js';

/** What the scheduler needs to place a group: its id and the volume types it must take. */
export interface GroupScheduleArgs {
  group_id: string;
  volume_type_ids: string[];
  availability_zone: string | null;
}

export class GroupRPCAPI {
  constructor(private readonly transport: Transport) {}

  /** Cast `create_group` to the scheduler: choose the group's backend, then create it there. */
  async scheduleGroup(ctx: RequestContext, args: GroupScheduleArgs): Promise<void> {
    await this.transport.cast({ topic: SCHEDULER_TOPIC }, 'create_group', { ...args }, ctx);
  }

  async #toBackend(
    ctx: RequestContext,
    placement: VolumePlacement,
    method: string,
    args: Record<string, unknown>,
  ): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), method, args, ctx);
  }

  createGroup(ctx: RequestContext, placement: VolumePlacement, groupId: string): Promise<void> {
    return this.#toBackend(ctx, placement, 'create_group', { group_id: groupId });
  }

  deleteGroup(ctx: RequestContext, placement: VolumePlacement, groupId: string): Promise<void> {
    return this.#toBackend(ctx, placement, 'delete_group', { group_id: groupId });
  }

  /** `add_volumes` / `remove_volumes`: comma-separated volume ids, as Cinder sends them. */
  updateGroup(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: { group_id: string; add_volumes: string; remove_volumes: string },
  ): Promise<void> {
    return this.#toBackend(ctx, placement, 'update_group', args);
  }

  createGroupFromSrc(ctx: RequestContext, placement: VolumePlacement, groupId: string): Promise<void> {
    return this.#toBackend(ctx, placement, 'create_group_from_src', { group_id: groupId });
  }

  createGroupSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    groupSnapshotId: string,
  ): Promise<void> {
    return this.#toBackend(ctx, placement, 'create_group_snapshot', { group_snapshot_id: groupSnapshotId });
  }

  deleteGroupSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    groupSnapshotId: string,
  ): Promise<void> {
    return this.#toBackend(ctx, placement, 'delete_group_snapshot', { group_snapshot_id: groupSnapshotId });
  }
}
