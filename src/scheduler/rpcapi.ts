import type { RequestContext } from '../common/context.js';
import { SCHEDULER_TOPIC, type Transport } from '../rpc/transport.js';
import type { CreateSnapshotArgs } from './create-snapshot.js';
import type { FilterProperties, RequestSpec } from './types.js';

/** Client side of the scheduler's RPC API (topic `cinder-scheduler`). */
export class SchedulerRPCAPI {
  constructor(private readonly transport: Transport) {}

  /** Cast `create_volume`: pick a backend for the volume and hand it to that backend's service. */
  async createVolume(
    ctx: RequestContext,
    volumeId: string,
    requestSpec: RequestSpec,
    filterProperties: Partial<FilterProperties>,
  ): Promise<void> {
    await this.transport.cast(
      { topic: SCHEDULER_TOPIC },
      'create_volume',
      { volume_id: volumeId, request_spec: requestSpec, filter_properties: filterProperties },
      ctx,
    );
  }

  /** Cast `create_snapshot`: check the volume's backend still has room, then hand it on. */
  async createSnapshot(ctx: RequestContext, args: CreateSnapshotArgs): Promise<void> {
    await this.transport.cast({ topic: SCHEDULER_TOPIC }, 'create_snapshot', { ...args }, ctx);
  }

  /** Fanout from volume services: their latest capabilities (`update_service_capabilities`). */
  async updateServiceCapabilities(
    ctx: RequestContext,
    args: {
      service_name: string;
      host: string;
      capabilities: Record<string, unknown>;
      cluster_name: string | null;
      timestamp: string;
    },
  ): Promise<void> {
    await this.transport.cast(
      { topic: SCHEDULER_TOPIC, fanout: true },
      'update_service_capabilities',
      args,
      ctx,
    );
  }

  /** Pools as the scheduler sees them (`get_pools`). */
  async getPools(
    ctx: RequestContext,
    filters: Record<string, unknown> | null,
  ): Promise<{ name: string; capabilities: Record<string, unknown> }[]> {
    return this.transport.call({ topic: SCHEDULER_TOPIC }, 'get_pools', { filters }, ctx, 30);
  }
}
