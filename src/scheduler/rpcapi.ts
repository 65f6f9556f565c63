import type { RequestContext } from '../common/context.js';
import { rpcClient, type RpcArgs, type RpcClient, type RpcMethod } from '../rpc/methods.js';
import { SCHEDULER_TOPIC, type Transport } from '../rpc/transport.js';
import type { GetPoolsFilters } from './host-manager.js';
import type { PoolListing } from './pool-listing.js';
import type { Capabilities, FilterProperties, RequestSpec } from './types.js';
import type { CleanupRequest } from '../volume/rpcapi.js';

/** `create_snapshot` arguments: the snapshot, its volume, and where the volume lives. */
export interface CreateSnapshotArgs {
  snapshot_id: string;
  volume_id: string;
  /** The volume's `service_topic_queue`: its cluster, else its host (`host@backend#pool`). */
  backend: string;
  request_spec: RequestSpec;
}

/** `manage_existing` arguments: the new volume (`managing`) and the driver's reference. */
export interface ManageExistingArgs {
  volume_id: string;
  request_spec: RequestSpec;
  ref: Record<string, unknown>;
}

/** `manage_existing_snapshot` arguments. */
export interface ManageExistingSnapshotArgs {
  snapshot_id: string;
  volume_id: string;
  request_spec: RequestSpec;
  ref: unknown;
}

/** What the scheduler needs to place a group: its id and the volume types it must take. */
export interface GroupScheduleArgs {
  group_id: string;
  volume_type_ids: string[];
  availability_zone: string | null;
}

/** `update_service_capabilities` arguments: a volume service's latest capabilities. */
export interface ServiceCapabilitiesArgs {
  service_name: string;
  host: string;
  capabilities: Capabilities;
  cluster_name: string | null;
  timestamp: string;
}

/** A service as `work_cleanup` lists it (Cinder's workers view). */
export interface CleanupService {
  id: number;
  host: string;
  binary: string;
  cluster_name: string | null;
}

/** `work_cleanup`'s answer. */
export interface WorkCleanupResult {
  cleaning: CleanupService[];
  unavailable: CleanupService[];
}

/**
 * The scheduler's RPC methods (topic `cinder-scheduler`): each one's arguments and reply, shared
 * by {@link SchedulerRPCAPI} (and the group casts, src/group/rpcapi.ts) and the endpoint the
 * SchedulerManager listens with (src/scheduler/manager.ts).
 */
export interface SchedulerRpcMethods {
  create_volume: RpcMethod<{
    volume_id: string;
    request_spec: RequestSpec;
    filter_properties: Partial<FilterProperties>;
  }>;
  create_snapshot: RpcMethod<CreateSnapshotArgs>;
  manage_existing: RpcMethod<ManageExistingArgs>;
  manage_existing_snapshot: RpcMethod<ManageExistingSnapshotArgs>;
  create_group: RpcMethod<GroupScheduleArgs>;
  update_service_capabilities: RpcMethod<ServiceCapabilitiesArgs>;
  work_cleanup: RpcMethod<{ cleanup_request: CleanupRequest }, WorkCleanupResult>;
  do_cleanup: RpcMethod<{ cleanup_request: CleanupRequest }>;
  get_pools: RpcMethod<{ filters: GetPoolsFilters | null }, PoolListing[]>;
  set_log_levels: RpcMethod<{ prefix: string | null; level: unknown }>;
  get_log_levels: RpcMethod<{ prefix: string | null }, Record<string, string>>;
}

/** The arguments of the scheduler's method `K`. */
export type SchedulerRpcArgs<K extends keyof SchedulerRpcMethods> = RpcArgs<SchedulerRpcMethods, K>;

/** Client side of the scheduler's RPC API (topic `cinder-scheduler`). */
export class SchedulerRPCAPI {
  readonly #rpc: RpcClient<SchedulerRpcMethods>;

  constructor(transport: Transport) {
    this.#rpc = rpcClient(transport);
  }

  /** Cast `create_volume`: pick a backend for the volume and hand it to that backend's service. */
  async createVolume(
    ctx: RequestContext,
    volumeId: string,
    requestSpec: RequestSpec,
    filterProperties: Partial<FilterProperties>,
  ): Promise<void> {
    await this.#rpc.cast(
      { topic: SCHEDULER_TOPIC },
      'create_volume',
      { volume_id: volumeId, request_spec: requestSpec, filter_properties: filterProperties },
      ctx,
    );
  }

  /** Cast `create_snapshot`: check the volume's backend still has room, then hand it on. */
  async createSnapshot(ctx: RequestContext, args: CreateSnapshotArgs): Promise<void> {
    await this.#rpc.cast({ topic: SCHEDULER_TOPIC }, 'create_snapshot', { ...args }, ctx);
  }

  /** Cast `manage_existing`: check the named backend can take the volume, then hand it on. */
  async manageExisting(ctx: RequestContext, args: ManageExistingArgs): Promise<void> {
    await this.#rpc.cast({ topic: SCHEDULER_TOPIC }, 'manage_existing', { ...args }, ctx);
  }

  /** Cast `manage_existing_snapshot`: the volume's backend must still pass, then it is handed on. */
  async manageExistingSnapshot(ctx: RequestContext, args: ManageExistingSnapshotArgs): Promise<void> {
    await this.#rpc.cast({ topic: SCHEDULER_TOPIC }, 'manage_existing_snapshot', { ...args }, ctx);
  }

  /** Fanout from volume services: their latest capabilities (`update_service_capabilities`). */
  async updateServiceCapabilities(ctx: RequestContext, args: ServiceCapabilitiesArgs): Promise<void> {
    await this.#rpc.cast({ topic: SCHEDULER_TOPIC, fanout: true }, 'update_service_capabilities', args, ctx);
  }

  /**
   * Call `work_cleanup` (`POST /workers/cleanup`): the scheduler sends `do_cleanup` to each service
   * matching the request and answers which were sent one and which had no live service to do it.
   */
  async workCleanup(ctx: RequestContext, cleanupRequest: CleanupRequest): Promise<WorkCleanupResult> {
    return this.#rpc.call(
      { topic: SCHEDULER_TOPIC },
      'work_cleanup',
      { cleanup_request: cleanupRequest },
      ctx,
      60,
    );
  }

  /** Cast `do_cleanup` to a scheduler (any: they share the topic). */
  async doCleanup(ctx: RequestContext, cleanupRequest: CleanupRequest): Promise<void> {
    await this.#rpc.cast({ topic: SCHEDULER_TOPIC }, 'do_cleanup', { cleanup_request: cleanupRequest }, ctx);
  }

  /** Pools as the scheduler sees them (`get_pools`). */
  async getPools(ctx: RequestContext, filters: GetPoolsFilters | null): Promise<PoolListing[]> {
    return this.#rpc.call({ topic: SCHEDULER_TOPIC }, 'get_pools', { filters }, ctx, 30);
  }
}
