import type { RequestContext } from '../common/context.js';
import { getLogLevels, setLogLevels } from '../common/log-levels.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import {
  serviceGetAll,
  serviceIsUp,
  type ServiceState,
  type ServiceStateFactory,
} from '../db/api/services.js';
import { operationLockName } from '../coordination/index.js';
import { formatTimestamp } from '../common/time.js';
import { DynamicLogListener, Engine } from '../flow/index.js';
import { flowTraceListener } from '../flow-trace/store.js';
import type { TraceListener } from '../flow-trace/listener.js';
import { flowTracesDeleteExpired } from '../db/api/flow-traces.js';
import { SCHEDULER_TOPIC, type Listener } from '../rpc/transport.js';
import { VolumeRPCAPI } from '../volume/rpcapi.js';
import { FilterScheduler } from './filter-scheduler.js';
import { getFlow } from './flows/create-volume.js';
import { scheduleCreateSnapshot } from './create-snapshot.js';
import { manageExistingEndpoints } from './manage-existing.js';
import { startReservationExpiry } from '../quota/reservation-expiry.js';
import { commitVolumeQuota, settlePendingVolumeQuotas } from '../quota/volume-reservations.js';
import { HostManager } from './host-manager.js';
import { groupSchedulerEndpoints } from './create-group.js';
import type { FilterProperties, RequestSpec, VolumeServiceInfo } from './types.js';
import { SchedulerRPCAPI, type SchedulerRpcMethods } from './rpcapi.js';
import { rpcEndpoint, type RpcHandlers } from '../rpc/methods.js';
import { schedulerDoCleanup, workCleanup } from './work-cleanup.js';
import { clusterGetAll } from '../db/api/clusters.js';
import { volumePlacementGet, volumesUnscheduledBefore } from '../db/api/volume-service-queries.js';

/**
 * The scheduler service (Cinder's `scheduler/manager.py`): an RPC endpoint on `cinder-scheduler`
 * that places volumes and keeps every backend's latest capabilities.
 */
export class SchedulerManager {
  readonly hostManager: HostManager;
  readonly scheduler: FilterScheduler;
  readonly #volumeRpc: VolumeRPCAPI;
  #listener: Listener | null = null;
  #service: ServiceState | null = null;
  #sweep: NodeJS.Timeout | null = null;
  #reap: NodeJS.Timeout | null = null;
  #stopReservationExpiry: (() => void) | null = null;

  constructor(private readonly deps: CoreDeps) {
    const cfg = deps.config.DEFAULT;
    // NOTE: service rows are re-read at most once a second; up/down is measured in tens of seconds.
    let cached: { at: number; list: Promise<VolumeServiceInfo[]> } | null = null;
    const listVolumeServices = () => {
      if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), list: readServices() };
      return cached.list;
    };
    const readServices = async (): Promise<VolumeServiceInfo[]> => {
      const services = await serviceGetAll(deps.dbh.db, { binary: 'cinder-volume' });
      // NOTE: as Cinder's `_clustered_bool_field_filter`: a clustered service is disabled (or
      // frozen) when its cluster is (`PUT /clusters/disable`), whatever its own row says.
      const clusters = services.some((s) => s.cluster_name)
        ? new Map(
            (await clusterGetAll(deps.dbh.db, { binary: 'cinder-volume' }, cfg.service_down_time)).map(
              (c) => [c.name, c] as const,
            ),
          )
        : new Map<string, never>();
      return services.map((s) => {
        const cluster = s.cluster_name ? clusters.get(s.cluster_name) : undefined;
        return {
          host: s.host,
          availability_zone: s.availability_zone,
          disabled: (cluster ?? s).disabled === 1,
          up: serviceIsUp(s, cfg.service_down_time),
          cluster_name: s.cluster_name,
          frozen: (cluster ?? s).frozen === 1,
        };
      });
    };
    const log = deps.log.child({ component: 'scheduler' });
    this.hostManager = new HostManager({
      logger: log,
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
      logger: log,
    });
    this.#volumeRpc = new VolumeRPCAPI(deps.transport);
  }

  /**
   * Registers the service row (with `serviceState`, the service wrapper's: Cinder's `Service`),
   * starts consuming and asks the volume services for capabilities.
   */
  async start(serviceState: ServiceStateFactory): Promise<void> {
    const cfg = this.deps.config.DEFAULT;
    this.#service = serviceState({
      host: cfg.host,
      binary: 'cinder-scheduler',
      topic: SCHEDULER_TOPIC,
      availability_zone: cfg.storage_availability_zone,
    });
    await this.#service.register();
    this.#listener = await this.deps.transport.listen(
      { topic: SCHEDULER_TOPIC, server: cfg.host },
      rpcEndpoint(this.endpoint()),
    );
    await this.#volumeRpc.publishServiceCapabilities(adminContext());
    const cfg2 = this.deps.config.DEFAULT;
    this.#sweep = setInterval(() => {
      this.sweepUnscheduled(cfg2.stuck_operation_timeout)
        .catch((e: unknown) => this.deps.log.warn({ err: e }, 'sweep of unscheduled volumes failed'))
        .then(() => this.sweepPendingQuota(cfg2.stuck_operation_timeout))
        .catch((e: unknown) => this.deps.log.warn({ err: e }, 'sweep of pending volume quota failed'));
    }, cfg2.periodic_interval * 1000);
    this.#sweep.unref();
    // Cinder's `_clean_expired_messages` (every message_reap_interval, first at start), and
    // Kindling's flow traces with them.
    const reap = () =>
      void this.reapExpired().catch((e: unknown) =>
        this.deps.log.warn({ err: e }, 'purge of expired messages and flow traces failed'),
      );
    reap();
    this.#reap = setInterval(reap, cfg2.message_reap_interval * 1000);
    this.#reap.unref();
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
    const ids = await volumesUnscheduledBefore(this.deps.dbh.db, cutoff);
    for (const id of ids) {
      this.deps.log.warn({ volume_id: id }, 'Volume was never scheduled: scheduling it now');
      // NOTE: its api flow may have died before committing its quota: commit it now, once.
      if (await commitVolumeQuota(this.deps, id))
        this.deps.log.warn({ volume_id: id }, 'Committed the quota reservation of an unscheduled volume');
      await this.createVolume(adminContext(), id, null, {});
    }
    return ids;
  }

  /**
   * Volumes whose quota is still pending long after their row was written (their api flow died
   * between the row and the commit, and the volume is no longer waiting to be placed): a live
   * one's quota is committed, a deleted one's reservations are given back. Results as values.
   */
  async sweepPendingQuota(olderThanSeconds: number): Promise<{ committed: string[]; rolledBack: string[] }> {
    const done = await settlePendingVolumeQuotas(this.deps, olderThanSeconds);
    for (const id of done.committed)
      this.deps.log.warn({ volume_id: id }, 'Committed the quota reservation of a volume left pending');
    for (const id of done.rolledBack)
      this.deps.log.warn({ volume_id: id }, 'Rolled back the quota reservation of a deleted volume');
    return done;
  }

  /** Removes expired user messages and flow traces. Results as values. */
  async reapExpired(now = new Date()): Promise<{ messages: number; traces: number }> {
    const messages = await this.deps.messages.cleanupExpired(now);
    const traces = await flowTracesDeleteExpired(this.deps.dbh.db, now);
    if (messages || traces)
      this.deps.log.info({ messages, traces }, 'Removed expired user messages and flow traces.');
    return { messages, traces };
  }

  async stop(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    if (this.#reap) clearInterval(this.#reap);
    this.#stopReservationExpiry?.();
    await this.#listener?.stop();
    await this.#service?.stop();
  }

  /** The RPC methods, by Cinder's names (src/scheduler/rpcapi.ts `SchedulerRpcMethods`). */
  endpoint(): RpcHandlers<SchedulerRpcMethods> {
    return {
      create_volume: (ctx, a) =>
        this.createVolume(ctx, a.volume_id, a.request_spec, a.filter_properties ?? {}),
      create_snapshot: (ctx, a) => scheduleCreateSnapshot(this.deps, this.scheduler, this.#volumeRpc, ctx, a),
      update_service_capabilities: async (_ctx, a) => {
        this.hostManager.updateServiceCapabilities(
          a.service_name,
          a.host,
          a.capabilities,
          a.cluster_name ?? null,
          a.timestamp,
        );
      },
      set_log_levels: async (_ctx, a) => setLogLevels(a.prefix, a.level),
      get_log_levels: async (_ctx, a) => getLogLevels(a.prefix),
      get_pools: async (_ctx, a) => this.hostManager.getPools(a.filters ?? undefined),
      // POST /workers/cleanup (src/scheduler/work-cleanup.ts)
      work_cleanup: (ctx, a) =>
        workCleanup(
          this.deps,
          { volume: this.#volumeRpc, scheduler: new SchedulerRPCAPI(this.deps.transport) },
          ctx,
          a.cleanup_request ?? {},
        ),
      do_cleanup: (_ctx, a) =>
        schedulerDoCleanup(this.deps, this.#service?.row?.id ?? null, a.cleanup_request ?? {}),
      // create_group (create-group.ts)
      ...groupSchedulerEndpoints(this.deps, this.scheduler),
      // manage_existing, manage_existing_snapshot (src/scheduler/manage-existing.ts)
      ...manageExistingEndpoints(this.deps, this.scheduler, this.#volumeRpc),
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
    const v = await volumePlacementGet(this.deps.dbh.db, volumeId);
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
    let trace: TraceListener | null = null;
    const flow = getFlow(this.deps, this.scheduler, this.#volumeRpc, (d) => trace?.setDecision(d));
    trace = flowTraceListener(this.deps, flow, {
      volumeId,
      projectId: v.project_id,
      requestId: ctx.requestId,
      host: this.deps.config.DEFAULT.host,
    });
    const engine = new Engine(
      flow,
      { context: ctx, volume_id: volumeId, request_spec: requestSpec, filter_properties: filterProperties },
      [
        new DynamicLogListener(this.deps.log.child({ request_id: ctx.requestId, volume_id: volumeId })),
        trace,
      ],
    );
    await engine.run();
  }
}
