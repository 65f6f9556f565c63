import type { RequestContext } from '../common/context.js';
import { getLogLevels, setLogLevels } from '../common/log-levels.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { extractHost, DEFAULT_POOL_NAME } from '../common/host.js';
import { ServiceRecord } from '../service/service-record.js';
import { destroyVolumeReleasingQuota } from './volume-destroy.js';
import { snapshotCountForVolume } from '../db/api/snapshots.js';
import { volumeDeleteLock } from './snapshot-driver.js';
import { SnapshotManager } from './snapshot-manager.js';
import { volumeActionEndpoints } from './manager-actions.js';
import { backupDeviceEndpoints } from '../backup/volume-endpoints.js';
import { backendCapabilities } from './capabilities.js';
import { groupEndpoints } from '../group/manager.js';
import { requestSpecFromVolume } from '../scheduler/request-spec.js';
import { formatTimestamp } from '../db/time.js';
import { operationLockName } from '../coordination/index.js';
import {
  volumeAllocatedBy,
  volumeConditionalUpdate,
  volumeGet,
  type VolumeRecord,
} from '../db/api/volumes.js';
import { serviceGetAll, serviceIsUp } from '../db/api/services.js';
import { DynamicLogListener, Engine, type FlowListener } from '../flow/index.js';
import { workerFinish, workerStart } from '../db/api/workers.js';
import { volumeUsagePayload } from '../notify/volume-usage.js';
import { VOLUME_TOPIC, volumeTarget, type Listener } from '../rpc/transport.js';
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
 *
 * Clustered (`[DEFAULT] cluster`), it also consumes `cinder-volume.<cluster@backend>`, shared by
 * every member of the cluster: any member may take any of the cluster's volumes, and the live
 * members finish the creates and deletes a dead member left behind.
 */
export class VolumeManager {
  /** `host@backend`: the service's host string and queue name. */
  readonly host: string;
  /** `cluster@backend` when this service is a member of an active-active cluster, else null. */
  readonly cluster: string | null;
  #initialized = false;
  readonly #scheduler: SchedulerRPCAPI;
  #listeners: Listener[] = [];
  #timers: NodeJS.Timeout[] = [];
  #service: ServiceRecord | null = null;
  /** create_snapshot / delete_snapshot of this backend (src/volume/snapshot-manager.ts). */
  readonly #snapshots: SnapshotManager;

  constructor(
    private readonly deps: CoreDeps,
    readonly backendName: string,
    readonly volumeBackendName: string,
    private readonly driver: VolumeDriver,
    /** Zone this backend serves (`backend_availability_zone`, else `storage_availability_zone`). */
    readonly availabilityZone: string = deps.config.DEFAULT.storage_availability_zone,
  ) {
    this.host = `${deps.config.DEFAULT.host}@${backendName}`;
    this.cluster = deps.config.DEFAULT.cluster ? `${deps.config.DEFAULT.cluster}@${backendName}` : null;
    this.#scheduler = new SchedulerRPCAPI(deps.transport);
    this.#snapshots = new SnapshotManager({
      deps,
      host: this.host,
      driver,
      driverInitialized: () => this.#initialized,
      serviceId: () => this.#service?.row?.id ?? null,
    });
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
      cluster_name: this.cluster,
    });
    await this.#service.register();
    await this.cleanup();
    const endpoint = this.endpoint();
    this.#listeners.push(await this.deps.transport.listen(volumeTarget(this.host), endpoint));
    if (this.cluster)
      this.#listeners.push(
        await this.deps.transport.listen({ ...volumeTarget(this.cluster), fanout: false }, endpoint),
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
        this.deleteVolume(ctx, a.volume_id as string, a.cascade === true),
      create_snapshot: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.#snapshots.createSnapshot(ctx, a.snapshot_id as string),
      delete_snapshot: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.#snapshots.deleteSnapshot(ctx, a.snapshot_id as string).then(() => undefined),
      publish_service_capabilities: () => this.publishCapabilities(),
      freeze_host: () => this.freezeHost(),
      thaw_host: () => this.thawHost(),
      set_log_levels: async (_ctx: RequestContext, a: Record<string, unknown>) =>
        setLogLevels(a.prefix as string | null, a.level),
      get_log_levels: async (_ctx: RequestContext, a: Record<string, unknown>) =>
        getLogLevels(a.prefix as string | null),
      // GET /capabilities/{host} (src/volume/capabilities.ts)
      get_capabilities: () => backendCapabilities(this.driver),
      // extend_volume, revert_to_snapshot, retype, migrate_volume, create_migration_target
      ...volumeActionEndpoints({
        deps: this.deps,
        host: this.host,
        cluster: this.cluster,
        availabilityZone: this.availabilityZone,
        driver: this.driver,
        initialized: () => this.#initialized,
        stats: () => this.volumeStats(),
        takeIfOurs: (v) => this.#takeIfOurs(v),
        publishCapabilities: () => this.publishCapabilities(),
      }),
      // create_group, delete_group, update_group, create_group_from_src, create/delete_group_snapshot
      ...groupEndpoints({
        deps: this.deps,
        host: this.host,
        createVolume: (ctx, id) => this.createVolume(ctx, id, null, {}, false),
        deleteVolume: (ctx, id) => this.deleteVolume(ctx, id),
        createSnapshot: (ctx, id) => this.#snapshots.createSnapshot(ctx, id),
        deleteSnapshot: (ctx, id) => this.#snapshots.deleteSnapshot(ctx, id),
      }),
      // get_backup_device, close_backup_device (src/backup/volume-endpoints.ts)
      ...backupDeviceEndpoints({
        deps: this.deps,
        driver: this.driver,
        initialized: () => this.#initialized,
      }),
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
    const placed = this.cluster
      ? await volumeAllocatedBy(this.deps.dbh.db, 'cluster_name', `${this.cluster}#`)
      : await volumeAllocatedBy(this.deps.dbh.db, 'host', `${this.host}#`);
    for (const [where, size] of placed) {
      const pool = extractHost(where, 'pool') ?? DEFAULT_POOL_NAME;
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
   * `init_host` cleanup: volumes this backend was creating or deleting when it stopped, and, in a
   * cluster, those a member that is now down left unfinished, are finished now. A create is resumed
   * (drivers make creates idempotent) without rescheduling; a delete is run again. With
   * `olderThanSeconds`, only this service's own volumes untouched that long (a lost message) are
   * taken; a dead peer's are taken at once. Results as values.
   */
  async cleanup(
    olderThanSeconds = 0,
  ): Promise<{ volumeId: string; action: 'create' | 'delete'; status: string }[]> {
    const db = this.deps.dbh.db;
    // NOTE: snapshots first, so a cascade delete cut short finds its snapshots gone or going.
    await this.#snapshots.cleanup(olderThanSeconds);
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
    const stuck = [...(await q.execute()), ...(await this.#orphansOfDeadPeers())];
    const out: { volumeId: string; action: 'create' | 'delete'; status: string }[] = [];
    const ctx = adminContext();
    for (const v of stuck) {
      const action = v.status === 'creating' ? 'create' : 'delete';
      if (action === 'create') await this.createVolume(ctx, v.id, null, {}, false);
      else await this.deleteVolume(ctx, v.id);
      out.push({ volumeId: v.id, action, status: (await volumeGet(db, v.id))?.status ?? 'deleted' });
    }
    if (out.length)
      this.deps.log.info(
        { host: this.host, resumed: out },
        'Resumed work left by a previous run or a dead peer',
      );
    return out;
  }

  /** The cluster's volumes still creating/deleting on a member that is down (or gone). */
  async #orphansOfDeadPeers(): Promise<{ id: string; status: string }[]> {
    if (!this.cluster) return [];
    const db = this.deps.dbh.db;
    const downTime = this.deps.config.DEFAULT.service_down_time;
    const up = new Set(
      (await serviceGetAll(db, { binary: 'cinder-volume' }))
        .filter((s) => s.cluster_name === this.cluster && serviceIsUp(s, downTime))
        .map((s) => s.host),
    );
    up.add(this.host);
    const rows = await db
      .selectFrom('volumes')
      .select(['id', 'status', 'host'])
      .where('deleted', '=', 0)
      .where('cluster_name', 'like', `${this.cluster}#%`)
      .where('status', 'in', ['creating', 'deleting'])
      .execute();
    return rows.filter((r) => !r.host || !up.has(extractHost(r.host, 'backend') ?? r.host));
  }

  /**
   * Whether this service may work on `v`: it is placed on this backend, or on this service's
   * cluster. A clustered volume another member holds is taken over first (its `host` becomes
   * ours, compare-and-swap so only one member wins), so cleanup and stats see who has it.
   */
  async #takeIfOurs(v: VolumeRecord): Promise<boolean> {
    if (!v.host) return false;
    if (extractHost(v.host, 'backend') === this.host) return true;
    if (!this.cluster || !v.cluster_name || extractHost(v.cluster_name, 'backend') !== this.cluster)
      return false;
    const pool = extractHost(v.host, 'pool') ?? DEFAULT_POOL_NAME;
    const taken = await volumeConditionalUpdate(
      this.deps.dbh.db,
      v.id,
      { host: `${this.host}#${pool}` },
      { status: [v.status], host: [v.host] },
    );
    if (taken) this.deps.log.info({ volume_id: v.id, from: v.host, to: this.host }, 'Took over volume');
    return taken;
  }

  /**
   * `freeze_host`: the API has marked the backend frozen; the driver is told (a driver error is
   * logged, the backend stays frozen, as Cinder's).
   */
  async freezeHost(): Promise<boolean> {
    try {
      await this.driver.freezeBackend?.();
    } catch (e) {
      this.deps.log.warn(
        { err: e, host: this.host },
        'Driver failed to freeze; the service is frozen anyway',
      );
    }
    return true;
  }

  /** `thaw_host`: false when the driver could not thaw (the API then reports it). */
  async thawHost(): Promise<boolean> {
    try {
      await this.driver.thawBackend?.();
      return true;
    } catch (e) {
      this.deps.log.warn({ err: e, host: this.host }, 'Driver failed to thaw');
      return false;
    }
  }

  /** Fanout `update_service_capabilities` to the schedulers (skipped while the driver is down). */
  async publishCapabilities(): Promise<void> {
    if (!this.#initialized) return;
    const capabilities = await this.volumeStats();
    await this.#scheduler.updateServiceCapabilities(adminContext(), {
      service_name: 'volume',
      host: this.host,
      capabilities: capabilities,
      cluster_name: this.cluster,
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
      if (!v || v.status !== 'creating' || !(await this.#takeIfOurs(v))) {
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
   * `volume.delete.start/end`. A driver failure leaves the volume in `error_deleting`. Holds
   * `<volume_id>-delete_volume` (Cinder's lock), so it waits for clones being made from the volume.
   * With `cascade` (or snapshots left `deleting` by one), the snapshots are deleted first.
   */
  async deleteVolume(ctx: RequestContext, volumeId: string, cascade = false): Promise<void> {
    await this.deps.coordinator.withLock(volumeDeleteLock(volumeId), () =>
      this.#serialized(volumeId, () => this.#deleteVolume(ctx, volumeId, cascade)),
    );
  }

  async #deleteVolume(ctx: RequestContext, volumeId: string, cascade: boolean): Promise<void> {
    const db = this.deps.dbh.db;
    const v = await volumeGet(db, volumeId);
    if (!v || v.status !== 'deleting' || !(await this.#takeIfOurs(v))) return;
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
        if (cascade || (await snapshotCountForVolume(db, volumeId)) > 0)
          await this.#snapshots.deleteSnapshotsOfVolume(ctx, volumeId);
        await this.driver.deleteVolume(toDriverVolume(v));
      } catch (e) {
        this.deps.log.error({ volume_id: volumeId, err: e }, 'delete_volume failed');
        // As Cinder's: a volume the backend reports busy (still in use there) stays `available`.
        const busy = e instanceof Error && e.name === 'VolumeIsBusy';
        await volumeConditionalUpdate(
          db,
          volumeId,
          { status: busy ? 'available' : 'error_deleting' },
          { status: ['deleting'] },
        );
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
