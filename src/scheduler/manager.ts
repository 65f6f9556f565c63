import type { RequestContext } from '../common/context.js';
import { getLogLevels, setLogLevels } from '../common/log-levels.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { serviceGetAll, serviceIsUp } from '../db/api/services.js';
import { ServiceRecord } from '../service/service-record.js';
import { operationLockName } from '../coordination/index.js';
import { formatTimestamp } from '../db/time.js';
import { DynamicLogListener, Engine } from '../flow/index.js';
import { SCHEDULER_TOPIC, type Listener } from '../rpc/transport.js';
import { VolumeRPCAPI } from '../volume/rpcapi.js';
import { FilterScheduler } from './filter-scheduler.js';
import { getFlow } from './flows/create-volume.js';
import { scheduleCreateSnapshot, type CreateSnapshotArgs } from './create-snapshot.js';
import { startReservationExpiry } from '../quota/reservation-expiry.js';
import { HostManager } from './host-manager.js';
import { groupSchedulerEndpoints } from '../group/scheduler.js';
import type { Capabilities, FilterProperties, RequestSpec, VolumeServiceInfo } from './types.js';

/**
 * The scheduler service (Cinder's `scheduler/manager.py`): an RPC endpoint on `cinder-scheduler`
 * that places volumes and keeps every backend's latest capabilities.
 */
export class SchedulerManager {
  readonly hostManager: HostManager;
  readonly scheduler: FilterScheduler;
  readonly #volumeRpc: VolumeRPCAPI;
  #listener: Listener | null = null;
  #service: ServiceRecord | null = null;
  #sweep: NodeJS.Timeout | null = null;
  #stopReservationExpiry: (() => void) | null = null;

  constructor(private readonly deps: CoreDeps) {
    const cfg = deps.config.DEFAULT;
    // NOTE: service rows are re-read at most once a second; up/down is measured in tens of seconds.
    let cached: { at: number; list: Promise<VolumeServiceInfo[]> } | null = null;
    const listVolumeServices = () => {
      if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), list: readServices() };
      return cached.list;
    };
    const readServices = async (): Promise<VolumeServiceInfo[]> =>
      (await serviceGetAll(deps.dbh.db, { binary: 'cinder-volume' })).map((s) => ({
        host: s.host,
        availability_zone: s.availability_zone,
        disabled: s.disabled === 1,
        up: serviceIsUp(s, cfg.service_down_time),
        cluster_name: s.cluster_name,
        frozen: s.frozen === 1,
      }));
    this.hostManager = new HostManager({
      listVolumeServices,
      filterNames: cfg.scheduler_default_filters,
      weigherNames: cfg.scheduler_default_weighers,
      options: {
        max_over_subscription_ratio: cfg.max_over_subscription_ratio,
        capacity_weight_multiplier: cfg.capacity_weight_multiplier,
        allocated_capacity_weight_multiplier: cfg.allocated_capacity_weight_multiplier,
      },
    });
    this.scheduler = new FilterScheduler(this.hostManager, {
      scheduler_max_attempts: cfg.scheduler_max_attempts,
    });
    this.#volumeRpc = new VolumeRPCAPI(deps.transport);
  }

  /** Registers the service row, starts consuming and asks the volume services for capabilities. */
  async start(): Promise<void> {
    const cfg = this.deps.config.DEFAULT;
    this.#service = new ServiceRecord(this.deps, {
      host: cfg.host,
      binary: 'cinder-scheduler',
      topic: SCHEDULER_TOPIC,
      availability_zone: cfg.storage_availability_zone,
    });
    await this.#service.register();
    this.#listener = await this.deps.transport.listen(
      { topic: SCHEDULER_TOPIC, server: cfg.host },
      this.endpoint(),
    );
    await this.#volumeRpc.publishServiceCapabilities(adminContext());
    const cfg2 = this.deps.config.DEFAULT;
    this.#sweep = setInterval(() => {
      this.sweepUnscheduled(cfg2.stuck_operation_timeout).catch((e: unknown) =>
        this.deps.log.warn({ err: e }, 'sweep of unscheduled volumes failed'),
      );
    }, cfg2.periodic_interval * 1000);
    this.#sweep.unref();
    // Cinder's `_clean_expired_reservation`: a crashed request's reservations are given back.
    this.#stopReservationExpiry = startReservationExpiry(
      this.deps.quotas,
      cfg2.reservation_expire,
      this.deps.log.child({ component: 'quota' }),
    );
  }

  /**
   * Volumes still `creating` with no host long after they were made (their request to a scheduler
   * was lost, or the scheduler died before placing them) are scheduled again. Results as values.
   */
  async sweepUnscheduled(olderThanSeconds: number): Promise<string[]> {
    const cutoff = formatTimestamp(new Date(Date.now() - olderThanSeconds * 1000));
    const rows = await this.deps.dbh.db
      .selectFrom('volumes')
      .select('id')
      .where('deleted', '=', 0)
      .where('status', '=', 'creating')
      .where('host', 'is', null)
      .where('created_at', '<', cutoff)
      .where((eb) => eb.or([eb('updated_at', 'is', null), eb('updated_at', '<', cutoff)]))
      .execute();
    for (const r of rows) {
      this.deps.log.warn({ volume_id: r.id }, 'Volume was never scheduled: scheduling it now');
      await this.createVolume(adminContext(), r.id, null, {});
    }
    return rows.map((r) => r.id);
  }

  async stop(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#stopReservationExpiry?.();
    await this.#listener?.stop();
    await this.#service?.stop();
  }

  /** The RPC methods, by Cinder's names. */
  endpoint() {
    return {
      create_volume: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.createVolume(
          ctx,
          a.volume_id as string,
          a.request_spec as RequestSpec,
          a.filter_properties ?? {},
        ),
      create_snapshot: (ctx: RequestContext, a: Record<string, unknown>) =>
        scheduleCreateSnapshot(
          this.deps,
          this.scheduler,
          this.#volumeRpc,
          ctx,
          a as unknown as CreateSnapshotArgs,
        ),
      update_service_capabilities: async (_ctx: RequestContext, a: Record<string, unknown>) => {
        this.hostManager.updateServiceCapabilities(
          a.service_name as string,
          a.host as string,
          a.capabilities as Capabilities,
          (a.cluster_name as string | null) ?? null,
          a.timestamp as string,
        );
      },
      set_log_levels: async (_ctx: RequestContext, a: Record<string, unknown>) =>
        setLogLevels(a.prefix as string | null, a.level),
      get_log_levels: async (_ctx: RequestContext, a: Record<string, unknown>) =>
        getLogLevels(a.prefix as string | null),
      get_pools: async (_ctx: RequestContext, a: Record<string, unknown>) =>
        this.hostManager.getPools((a.filters ?? undefined) as never),
      // create_group (src/group/scheduler.ts)
      ...groupSchedulerEndpoints(this.deps, this.scheduler),
    };
  }

  /** Runs the scheduler flow for one volume. */
  async createVolume(
    ctx: RequestContext,
    volumeId: string,
    requestSpec: RequestSpec | null,
    filterProperties: FilterProperties,
  ): Promise<void> {
    // NOTE: one scheduler at a time per volume: a redelivery and a sweep must not both place it.
    await this.deps.coordinator.withLock(operationLockName(volumeId, 'schedule'), () =>
      this.#createVolume(ctx, volumeId, requestSpec, filterProperties),
    );
  }

  async #createVolume(
    ctx: RequestContext,
    volumeId: string,
    requestSpec: RequestSpec | null,
    filterProperties: FilterProperties,
  ): Promise<void> {
    // NOTE: with an at-least-once bus a request can arrive twice (a scheduler died after placing
    // the volume but before its message was acknowledged). Only a volume still `creating` without
    // a host needs placing; one already placed is handed to its backend again (idempotent there).
    const v = await this.deps.dbh.db
      .selectFrom('volumes')
      .select(['status', 'host', 'cluster_name'])
      .where('id', '=', volumeId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!v || v.status !== 'creating') return;
    if (v.host) {
      await this.#volumeRpc.createVolume(
        ctx,
        { host: v.host, cluster_name: v.cluster_name },
        {
          volume_id: volumeId,
          request_spec: requestSpec,
          filter_properties: filterProperties,
          allow_reschedule: true,
        },
      );
      return;
    }
    const engine = new Engine(
      getFlow(this.deps, this.scheduler, this.#volumeRpc),
      { context: ctx, volume_id: volumeId, request_spec: requestSpec, filter_properties: filterProperties },
      [new DynamicLogListener(this.deps.log.child({ request_id: ctx.requestId, volume_id: volumeId }))],
    );
    await engine.run();
  }
}
