/**
 * The group casts (Cinder's `scheduler/rpcapi.py` `create_group` and `volume/rpcapi.py`
 * `create_group`, `delete_group`, `update_group`, `create_group_from_src`,
 * `create_group_snapshot`, `delete_group_snapshot`): to the scheduler to place a new group, then
 * to the volume service of the group's backend.
 */
import type { RequestContext } from '../common/context.js';
import { rpcClient, type RpcClient } from '../rpc/methods.js';
import { SCHEDULER_TOPIC, volumeTarget, type Transport } from '../rpc/transport.js';
import {
  serviceTopicQueue,
  type VolumePlacement,
  type VolumeRpcArgs,
  type VolumeRpcMethods,
} from '../volume/rpcapi.js';
import type { GroupScheduleArgs, SchedulerRpcMethods } from '../scheduler/rpcapi.js';

/** Where a group's requests go: its cluster when clustered, else its `host@backend#pool`. */
export function groupPlacement(g: { host: string | null; cluster_name: string | null }) {
  return { host: g.host!, cluster_name: g.cluster_name };
}

/** The volume service's group methods, cast by this client. */
type GroupBackendMethod =
  | 'create_group'
  | 'delete_group'
  | 'update_group'
  | 'create_group_from_src'
  | 'create_group_snapshot'
  | 'delete_group_snapshot';

export class GroupRPCAPI {
  readonly #scheduler: RpcClient<SchedulerRpcMethods>;
  readonly #volume: RpcClient<VolumeRpcMethods>;

  constructor(transport: Transport) {
    this.#scheduler = rpcClient(transport);
    this.#volume = rpcClient(transport);
  }

  /** Cast `create_group` to the scheduler: choose the group's backend, then create it there. */
  async scheduleGroup(ctx: RequestContext, args: GroupScheduleArgs): Promise<void> {
    await this.#scheduler.cast({ topic: SCHEDULER_TOPIC }, 'create_group', { ...args }, ctx);
  }

  async #toBackend<K extends GroupBackendMethod>(
    ctx: RequestContext,
    placement: VolumePlacement,
    method: K,
    args: VolumeRpcArgs<K>,
  ): Promise<void> {
    await this.#volume.cast(volumeTarget(serviceTopicQueue(placement)), method, args, ctx);
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
    args: VolumeRpcArgs<'update_group'>,
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
