import type { RequestContext } from '../common/context.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { extractHost, DEFAULT_POOL_NAME } from '../common/host.js';
import { ServiceRecord } from '../service/service-record.js';
import { destroyVolumeReleasingQuota } from './volume-destroy.js';
import { requestSpecFromVolume } from '../scheduler/request-spec.js';
import { formatTimestamp } from '../db/time.js';
import { operationLockName } from '../coordination/index.js';
import { volumeAllocatedByHost, volumeConditionalUpdate, volumeGet } from '../db/api/volumes.js';
import { DynamicLogListener, Engine, type FlowListener } from '../flow/index.js';
import { workerFinish, workerStart } from '../db/api/workers.js';
import { volumeUsagePayload } from '../notify/volume-usage.js';
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
    this.#service = new ServiceRecord(this.deps, {
      host: this.host,
      binary: 'cinder-volume',
      topic: VOLUME_TOPIC,
      availability_zone: this.availabilityZone,
    });
    await this.#service.register();
    await this.cleanup();
    const endpoint = this.endpoint();
    this.#listeners.push(
      await this.deps.transport.listen({ topic: volumeTopicFor(this.host), server: this.host }, endpoint),
    );
    this.#listeners.push(
      await this.deps.transport.listen({ topic: VOLUME_TOPIC, server: this.host, fanout: true }, endpoint),
    );
    this.#every(cfg.backend_stats_polling_interval, () => this.publishCapabilities());
    // NOTE: a safety net beyond the bus's redelivery: work that sat untouched for too long (a
    // message lost in a broker outage, a worker that died) is taken over again. The per-volume
    // lock and status checks make a duplicate harmless.
    this.#every(cfg.periodic_interval, () => this.cleanup(cfg.stuck_operation_timeout));
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

  /**
   * Driver stats with the allocated capacity of each pool, as the manager reports them. Allocated
   * GiB are counted from the database (every volume placed on the pool and not deleted), so they
   * stay right across reschedules, restarts and peers.
   */
  async volumeStats(): Promise<VolumeStats> {
    const stats = await this.driver.getVolumeStats(true);
    const allocated = new Map<string, number>();
    for (const [host, size] of await volumeAllocatedByHost(this.deps.dbh.db, `${this.host}#`)) {
      const pool = extractHost(host, 'pool') ?? DEFAULT_POOL_NAME;
      allocated.set(pool, (allocated.get(pool) ?? 0) + size);
    }
    for (const p of stats.pools) p.allocated_capacity_gb = allocated.get(p.pool_name) ?? 0;
    stats.backend_state = this.#initialized ? 'up' : 'down';
    return stats;
  }

  /**
   * Runs `fn` while holding the volume's operation lock (`<volume_id>-volume_op`, Cinder's
   * coordination lock), so a redelivered message, a resume and a peer in the cluster never work
   * on one volume at once.
   */
  async #serialized(volumeId: string, fn: () => Promise<void>): Promise<void> {
    await this.deps.coordinator.withLock(operationLockName(volumeId, 'volume_op'), fn);
  }

  /**
   * `init_host` cleanup: volumes this backend was creating or deleting when it stopped (its worker
   * rows, and any volume of ours still `creating`/`deleting`) are finished now. A create is resumed
   * (drivers make creates idempotent) without rescheduling; a delete is run again. Results as values.
   */
  async cleanup(
    olderThanSeconds = 0,
  ): Promise<{ volumeId: string; action: 'create' | 'delete'; status: string }[]> {
    const db = this.deps.dbh.db;
    let q = db
      .selectFrom('volumes')
      .select(['id', 'status'])
      .where('deleted', '=', 0)
      .where('host', 'like', `${this.host}#%`)
      .where('status', 'in', ['creating', 'deleting']);
    if (olderThanSeconds > 0) {
      const cutoff = formatTimestamp(new Date(Date.now() - olderThanSeconds * 1000));
      q = q.where((eb) =>
        eb.or([
          eb('updated_at', '<', cutoff),
          eb.and([eb('updated_at', 'is', null), eb('created_at', '<', cutoff)]),
        ]),
      );
    }
    const stuck = await q.execute();
    const out: { volumeId: string; action: 'create' | 'delete'; status: string }[] = [];
    const ctx = adminContext();
    for (const v of stuck) {
      if (v.status === 'creating') {
        await this.createVolume(ctx, v.id, null, {}, false);
        out.push({
          volumeId: v.id,
          action: 'create',
          status: (await volumeGet(db, v.id))?.status ?? 'deleted',
        });
      } else {
        await this.deleteVolume(ctx, v.id);
        out.push({
          volumeId: v.id,
          action: 'delete',
          status: (await volumeGet(db, v.id))?.status ?? 'deleted',
        });
      }
    }
    if (out.length)
      this.deps.log.info({ host: this.host, resumed: out }, 'Resumed work left by a previous run');
    return out;
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

  /**
   * `create_volume`: runs the manager flow, once per volume at a time. A message for a volume that
   * is no longer `creating` on this backend (a redelivery after a crash, a stale reschedule) is
   * dropped. `requestSpec` null (a resumed create) is rebuilt from the row.
   */
  async createVolume(
    ctx: RequestContext,
    volumeId: string,
    requestSpec: RequestSpec | null,
    filterProperties: FilterProperties,
    allowReschedule: boolean,
  ): Promise<void> {
    await this.#serialized(volumeId, async () => {
      const db = this.deps.dbh.db;
      const v = await volumeGet(db, volumeId);
      if (!v || v.status !== 'creating' || !v.host || extractHost(v.host, 'backend') !== this.host) {
        this.deps.log.info(
          { volume_id: volumeId, status: v?.status, host: v?.host },
          'create_volume: nothing to do',
        );
        return;
      }
      const spec = requestSpec ?? (await requestSpecFromVolume(db, v));
      await workerStart(db, {
        resource_type: 'Volume',
        resource_id: volumeId,
        status: 'creating',
        service_id: this.#service?.row?.id ?? null,
      });
      const state: RescheduleState = { rescheduled: false };
      const c: ManagerFlowContext = {
        deps: this.deps,
        host: this.host,
        driver: this.driver,
        driverInitialized: () => this.#initialized,
        scheduler: this.#scheduler,
      };
      const log = this.deps.log.child({ request_id: ctx.requestId, volume_id: volumeId, host: this.host });
      const engine = new Engine(
        getFlow(c),
        {
          context: ctx,
          volume_id: volumeId,
          request_spec: spec,
          filter_properties: filterProperties,
          allow_reschedule: allowReschedule,
          reschedule_state: state,
        },
        [new DynamicLogListener(log), ...testKillListeners()],
      );
      try {
        await engine.run();
      } catch (e) {
        log.warn({ err: e, rescheduled: state.rescheduled }, 'create_volume failed');
      } finally {
        await workerFinish(db, 'Volume', volumeId);
      }
    });
  }

  /**
   * `delete_volume`: removes the backing object, releases quota, soft-deletes the row and emits
   * `volume.delete.start/end`. A driver failure leaves the volume in `error_deleting`.
   */
  async deleteVolume(ctx: RequestContext, volumeId: string): Promise<void> {
    await this.#serialized(volumeId, () => this.#deleteVolume(ctx, volumeId));
  }

  async #deleteVolume(_ctx: RequestContext, volumeId: string): Promise<void> {
    const db = this.deps.dbh.db;
    const v = await volumeGet(db, volumeId);
    if (!v || v.status !== 'deleting') return;
    await workerStart(db, {
      resource_type: 'Volume',
      resource_id: volumeId,
      status: 'deleting',
      service_id: this.#service?.row?.id ?? null,
    });
    const publisher = `volume.${v.host ?? this.host}`;
    try {
      await this.deps.notifier.notify(publisher, 'volume.delete.start', volumeUsagePayload(v));
      try {
        if (!this.#initialized) throw new Error('driver not initialized');
        await this.driver.deleteVolume(toDriverVolume(v));
      } catch (e) {
        this.deps.log.error({ volume_id: volumeId, err: e }, 'delete_volume failed');
        await volumeConditionalUpdate(db, volumeId, { status: 'error_deleting' }, { status: ['deleting'] });
        return;
      }
      await destroyVolumeReleasingQuota(this.deps, v);
      await this.deps.notifier.notify(
        publisher,
        'volume.delete.end',
        volumeUsagePayload({ ...v, status: 'deleted' }),
      );
    } finally {
      await workerFinish(db, 'Volume', volumeId);
    }
  }
}

/**
 * Test-only crash injection: `KINDLING_TEST_KILL_AT=<TaskName>:<start|end>` kills this process
 * (SIGKILL, no cleanup) when the manager flow reaches that point. Never set outside tests.
 */
function testKillListeners(): FlowListener[] {
  const spec = process.env.KINDLING_TEST_KILL_AT;
  if (!spec) return [];
  const cut = spec.lastIndexOf(':');
  const [task, when] = cut > 0 ? [spec.slice(0, cut), spec.slice(cut + 1)] : [spec, 'start'];
  const kill = (name: string, at: string) => {
    if (name === task && at === when) process.kill(process.pid, 'SIGKILL');
  };
  return [
    {
      onTaskStart: (_f: string, t: string) => kill(t, 'start'),
      onTaskSuccess: (_f: string, t: string) => kill(t, 'end'),
    },
  ];
}
