import type { RequestContext } from '../common/context.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { extractHost, DEFAULT_POOL_NAME } from '../common/host.js';
import { ServiceRecord } from '../service/service-record.js';
import {
  volumeAllocatedByHost,
  volumeConditionalUpdate,
  volumeDestroy,
  volumeGet,
} from '../db/api/volumes.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { DynamicLogListener, Engine } from '../flow/index.js';
import { volumeUsagePayload } from '../notify/volume-usage.js';
import { volumeDeltas } from '../quota/resources.js';
import { VOLUME_TOPIC, volumeTopicFor, type Listener } from '../rpc/transport.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import type { FilterProperties, RequestSpec } from '../scheduler/types.js';
import type { VolumeDriver, VolumeStats } from './driver.js';
import {
  getFlow,
  toDriverVolume,
  type ManagerFlowContext,
  type RescheduleState,
} from './flows/manager/create-volume.js';

/**
 * One backend's volume service (Cinder's `volume/manager.py` for one `enabled_backends` entry):
 * an RPC endpoint on `cinder-volume.<host@backend>` that runs the manager flows against its
 * driver, keeps the per-pool allocated capacity, and reports capabilities to the schedulers.
 */
export class VolumeManager {
  /** `host@backend`: the service's host string and queue name. */
  readonly host: string;
  #initialized = false;
  readonly #allocated = new Map<string, number>();
  readonly #scheduler: SchedulerRPCAPI;
  #listeners: Listener[] = [];
  #timers: NodeJS.Timeout[] = [];
  #service: ServiceRecord | null = null;

  constructor(
    private readonly deps: CoreDeps,
    readonly backendName: string,
    readonly volumeBackendName: string,
    private readonly driver: VolumeDriver,
    /** Zone this backend serves (`backend_availability_zone`, else `storage_availability_zone`). */
    readonly availabilityZone: string = deps.config.DEFAULT.storage_availability_zone,
  ) {
    this.host = `${deps.config.DEFAULT.host}@${backendName}`;
    this.#scheduler = new SchedulerRPCAPI(deps.transport);
  }

  get initialized(): boolean {
    return this.#initialized;
  }

  /** `init_host`: set up the driver, count allocated capacity, register, listen, report. */
  async start(): Promise<void> {
    const cfg = this.deps.config.DEFAULT;
    try {
      await this.driver.doSetup();
      await this.driver.checkForSetupError();
      this.#initialized = true;
    } catch (e) {
      this.deps.log.error(
        { err: e, host: this.host },
        'Volume driver failed to initialize; the backend will not take volumes',
      );
    }
    for (const [host, size] of await volumeAllocatedByHost(this.deps.dbh.db, this.host)) {
      if (extractHost(host, 'backend') !== this.host) continue;
      const pool = extractHost(host, 'pool') ?? this.volumeBackendName;
      this.#allocated.set(pool, (this.#allocated.get(pool) ?? 0) + size);
    }
    this.#service = new ServiceRecord(this.deps, {
      host: this.host,
      binary: 'cinder-volume',
      topic: VOLUME_TOPIC,
      availability_zone: this.availabilityZone,
    });
    await this.#service.register();
    const endpoint = this.endpoint();
    this.#listeners.push(
      await this.deps.transport.listen({ topic: volumeTopicFor(this.host), server: this.host }, endpoint),
    );
    this.#listeners.push(
      await this.deps.transport.listen({ topic: VOLUME_TOPIC, server: this.host, fanout: true }, endpoint),
    );
    this.#every(cfg.backend_stats_polling_interval, () => this.publishCapabilities());
    await this.publishCapabilities();
  }

  #every(seconds: number, fn: () => Promise<unknown>): void {
    const t = setInterval(
      () =>
        void fn().catch((e: unknown) =>
          this.deps.log.warn({ err: e, host: this.host }, 'periodic task failed'),
        ),
      seconds * 1000,
    );
    t.unref();
    this.#timers.push(t);
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const l of this.#listeners) await l.stop();
    await this.#service?.stop();
  }

  endpoint() {
    return {
      create_volume: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.createVolume(
          ctx,
          a.volume_id as string,
          a.request_spec as RequestSpec,
          a.filter_properties ?? {},
          a.allow_reschedule !== false,
        ),
      delete_volume: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.deleteVolume(ctx, a.volume_id as string),
      publish_service_capabilities: () => this.publishCapabilities(),
    };
  }

  #poolOf(host: string | null): string {
    return (host && extractHost(host, 'pool')) || this.volumeBackendName || DEFAULT_POOL_NAME;
  }

  #addAllocated(host: string | null, delta: number): void {
    const pool = this.#poolOf(host);
    this.#allocated.set(pool, Math.max(0, (this.#allocated.get(pool) ?? 0) + delta));
  }

  /** Driver stats with our own allocated-capacity counters merged in, as the manager does. */
  async volumeStats(): Promise<VolumeStats> {
    const stats = await this.driver.getVolumeStats(true);
    for (const p of stats.pools) p.allocated_capacity_gb = this.#allocated.get(p.pool_name) ?? 0;
    stats.backend_state = this.#initialized ? 'up' : 'down';
    return stats;
  }

  /** Fanout `update_service_capabilities` to the schedulers (skipped while the driver is down). */
  async publishCapabilities(): Promise<void> {
    if (!this.#initialized) return;
    const capabilities = await this.volumeStats();
    await this.#scheduler.updateServiceCapabilities(adminContext(), {
      service_name: 'volume',
      host: this.host,
      capabilities: capabilities,
      cluster_name: null,
      timestamp: new Date().toISOString(),
    });
  }

  /** `create_volume`: runs the manager flow; on a reschedule, gives the pool's capacity back. */
  async createVolume(
    ctx: RequestContext,
    volumeId: string,
    requestSpec: RequestSpec,
    filterProperties: FilterProperties,
    allowReschedule: boolean,
  ): Promise<void> {
    const v = await this.deps.dbh.db
      .selectFrom('volumes')
      .select(['host', 'size'])
      .where('id', '=', volumeId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!v) return; // deleted before it reached us
    this.#addAllocated(v.host, v.size);
    const state: RescheduleState = { rescheduled: false };
    const c: ManagerFlowContext = {
      deps: this.deps,
      host: this.host,
      driver: this.driver,
      driverInitialized: () => this.#initialized,
      scheduler: this.#scheduler,
    };
    const engine = new Engine(
      getFlow(c),
      {
        context: ctx,
        volume_id: volumeId,
        request_spec: requestSpec,
        filter_properties: filterProperties,
        allow_reschedule: allowReschedule,
        reschedule_state: state,
      },
      [
        new DynamicLogListener(
          this.deps.log.child({ request_id: ctx.requestId, volume_id: volumeId, host: this.host }),
        ),
      ],
    );
    try {
      await engine.run();
    } catch (e) {
      if (state.rescheduled) this.#addAllocated(v.host, -v.size);
      this.deps.log.warn(
        { volume_id: volumeId, err: e, rescheduled: state.rescheduled },
        'create_volume failed',
      );
    }
  }

  /**
   * `delete_volume`: removes the backing object, releases quota, soft-deletes the row and emits
   * `volume.delete.start/end`. A driver failure leaves the volume in `error_deleting`.
   */
  async deleteVolume(ctx: RequestContext, volumeId: string): Promise<void> {
    const db = this.deps.dbh.db;
    const v = await volumeGet(db, volumeId);
    if (!v) return;
    const publisher = `volume.${v.host ?? this.host}`;
    await this.deps.notifier.notify(publisher, 'volume.delete.start', volumeUsagePayload(v));
    try {
      if (!this.#initialized) throw new Error('driver not initialized');
      await this.driver.deleteVolume(toDriverVolume(v));
    } catch (e) {
      this.deps.log.error({ volume_id: volumeId, err: e }, 'delete_volume failed');
      await volumeConditionalUpdate(db, volumeId, { status: 'error_deleting' }, { status: ['deleting'] });
      return;
    }
    const type = await volumeTypeGet(db, v.volume_type_id, true);
    if (v.use_quota && v.project_id)
      await this.deps.quotas.reserveAndCommit(v.project_id, volumeDeltas(v.size, type?.name ?? null, -1));
    await volumeDestroy(db, volumeId);
    this.#addAllocated(v.host, -v.size);
    await this.deps.notifier.notify(
      publisher,
      'volume.delete.end',
      volumeUsagePayload({ ...v, status: 'deleted' }),
    );
    void ctx;
  }
}
