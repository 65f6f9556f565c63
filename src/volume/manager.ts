import type { RequestContext } from '../common/context.js';
import { getLogLevels, setLogLevels } from '../common/log-levels.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import type { ServiceState, ServiceStateFactory } from '../db/api/services.js';
import { SnapshotManager } from './snapshot-manager.js';
import { volumeActionEndpoints, type ActionBackend } from './manager-actions.js';
import { attachmentEndpoints } from './attachments/endpoints.js';
import { ensureExports } from './attachments/manager.js';
import type { GlanceImageService } from '../image/index.js';
import { imageConversionOptions, imageServiceFromConfig } from '../image/image-service.js';
import { ImageVolumeCache } from './image-cache.js';
import { VolumeAPI } from './api.js';
import { backupDeviceEndpoints } from './backup-device.js';
import { backendCapabilities } from './capabilities.js';
import { manageService } from './manage-manager.js';
import { groupEndpoints } from './group-manager.js';
import { doCleanup, type CleanedWork, type CleanupActions } from './cleanup.js';
import type { CleanupRequest, VolumeRpcMethods } from './rpcapi.js';
import { rpcEndpoint, type RpcHandlers } from '../rpc/methods.js';
import { VOLUME_TOPIC, volumeTarget, type Listener } from '../rpc/transport.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import type { FilterProperties, RequestSpec } from '../scheduler/types.js';
import type { VolumeDriver, VolumeStats } from './driver.js';
import type { ManagerFlowContext, RestoreBackupIntoNewVolume } from './flows/manager/create-volume.js';
import { takeIfOurs, type ManagerBackend } from './manager/backend.js';
import { createVolume } from './manager/create.js';
import { deleteVolume } from './manager/delete.js';
import { resumeLeftWork, type ResumedVolume } from './manager/resume.js';
import { volumeStats } from './manager/stats.js';

/**
 * One backend's volume service (Cinder's `volume/manager.py` for one `enabled_backends` entry):
 * an RPC endpoint on `cinder-volume.<host@backend>` that runs the manager flows against its
 * driver, keeps the per-pool allocated capacity, and reports capabilities to the schedulers.
 *
 * Clustered (`[DEFAULT] cluster`), it also consumes `cinder-volume.<cluster@backend>`, shared by
 * every member of the cluster: any member may take any of the cluster's volumes, and the live
 * members finish the creates and deletes a dead member left behind.
 *
 * This class is the service: start, stop, the RPC endpoint. Its own operations (create, delete,
 * the resume of left work, stats) are in `manager/`, on the `ManagerBackend` it is handed; the
 * volume actions, attachments, groups, manage and backup devices add their endpoints.
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
  #service: ServiceState | null = null;
  /** Glance, for creates from images (null when none is configured). */
  readonly #images: GlanceImageService | null;
  /** create_snapshot / delete_snapshot of this backend (src/volume/snapshot-manager.ts). */
  readonly #snapshots: SnapshotManager;
  /** The backend's image-volume cache (src/volume/image-cache.ts); null when disabled. */
  readonly #imageCache: ImageVolumeCache | null;
  /** The volume API, for the cache's deletes (made on first use). */
  #volumeApi: VolumeAPI | null = null;
  /** manage_existing and the manageable lists of this backend (src/volume/manage-manager.ts). */
  readonly #manage: ReturnType<typeof manageService>;
  /** What the operations in manager/ work with. */
  readonly #backend: ManagerBackend;

  constructor(
    private readonly deps: CoreDeps,
    readonly backendName: string,
    readonly volumeBackendName: string,
    private readonly driver: VolumeDriver,
    /** The backup service's restore into a new volume (the service wrapper's to hand in). */
    private readonly restoreBackup: RestoreBackupIntoNewVolume,
    /** Zone this backend serves (`backend_availability_zone`, else `storage_availability_zone`). */
    readonly availabilityZone: string = deps.config.DEFAULT.storage_availability_zone,
  ) {
    this.host = `${deps.config.DEFAULT.host}@${backendName}`;
    this.cluster = deps.config.DEFAULT.cluster ? `${deps.config.DEFAULT.cluster}@${backendName}` : null;
    this.#scheduler = new SchedulerRPCAPI(deps.transport);
    this.#images = imageServiceFromConfig(deps.config, { log: deps.log });
    this.#snapshots = new SnapshotManager({
      deps,
      host: this.host,
      driver,
      driverInitialized: () => this.#initialized,
      serviceId: () => this.#service?.row?.id ?? null,
    });
    this.#backend = {
      deps,
      host: this.host,
      cluster: this.cluster,
      driver,
      snapshots: this.#snapshots,
      initialized: () => this.#initialized,
      serviceId: () => this.#service?.row?.id ?? null,
      flowContext: () => this.#flowContext(),
    };
    this.#imageCache = ImageVolumeCache.forBackend(deps, backendName, {
      createVolume: (ctx, id) => this.createVolume(ctx, id, null, {}, false),
      deleteVolume: (ctx, id) => this.deleteVolume(ctx, id),
      apiDelete: (ctx, v) =>
        (this.#volumeApi ??= new VolumeAPI(deps)).delete(ctx, v, { cascade: false, force: false }),
    });
    this.#manage = manageService({
      flow: () => this.#flowContext(),
      cluster: this.cluster,
      takeIfOurs: (v) => takeIfOurs(this.#backend, v),
    });
  }

  /** What the volume actions and attach calls borrow from this service. */
  get #actionBackend(): ActionBackend {
    return {
      deps: this.deps,
      host: this.host,
      cluster: this.cluster,
      availabilityZone: this.availabilityZone,
      driver: this.driver,
      reportDiscardSupported: this.deps.config.backends[this.backendName]?.report_discard_supported ?? false,
      initialized: () => this.#initialized,
      stats: () => this.volumeStats(),
      takeIfOurs: (v) => takeIfOurs(this.#backend, v),
      publishCapabilities: () => this.publishCapabilities(),
    };
  }

  get initialized(): boolean {
    return this.#initialized;
  }

  /**
   * Sets up the driver (`do_setup`, `check_for_setup_error`): false, logged, when it fails (the
   * backend then takes no work). `start` begins with it; `kindling manage volume delete` calls it
   * alone, to run one delete through this manager without serving the backend.
   */
  async initializeDriver(): Promise<boolean> {
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
    return this.#initialized;
  }

  /**
   * `init_host`: set up the driver, count allocated capacity, register (with `serviceState`, the
   * service wrapper's: Cinder's `Service` registers and reports state), listen, report.
   */
  async start(serviceState: ServiceStateFactory): Promise<void> {
    const cfg = this.deps.config.DEFAULT;
    await this.initializeDriver();
    this.#service = serviceState({
      host: this.host,
      binary: 'cinder-volume',
      topic: VOLUME_TOPIC,
      availability_zone: this.availabilityZone,
      cluster_name: this.cluster,
    });
    await this.#service.register();
    // NOTE: Cinder's init_host: this service's own `workers` rows first, then Kindling's scan of
    // the backend's volumes (and, clustered, the rows and volumes of members that are down).
    await this.doCleanup({ service_id: this.#service.row?.id ?? null });
    await this.cleanup();
    // Kindling: manages a previous run left half-done are run again (src/volume/manage-manager.ts).
    await this.resumeManaging();
    // NOTE: exports (iSCSI targets) live in a daemon's memory: put back those of attached volumes
    // now, and again whenever the driver says its target daemon lost them.
    this.driver.onExportsLost?.(() => void this.#ensureExports());
    await this.#ensureExports();
    const endpoint = rpcEndpoint(this.endpoint());
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

  async #ensureExports(): Promise<void> {
    try {
      await ensureExports(this.#actionBackend);
    } catch (e) {
      this.deps.log.error({ err: e, host: this.host }, 'Error during re-export on driver init.');
    }
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
    await this.driver.stop?.();
    this.#volumeApi?.images?.close();
  }

  /** The RPC methods, by Cinder's names (src/volume/rpcapi.ts `VolumeRpcMethods`). */
  endpoint(): RpcHandlers<VolumeRpcMethods> {
    return {
      create_volume: (ctx, a) =>
        this.createVolume(
          ctx,
          a.volume_id,
          a.request_spec,
          a.filter_properties ?? {},
          a.allow_reschedule !== false,
        ),
      delete_volume: (ctx, a) =>
        this.deleteVolume(ctx, a.volume_id, a.cascade === true, a.unmanage_only === true),
      create_snapshot: (ctx, a) => this.#snapshots.createSnapshot(ctx, a.snapshot_id),
      delete_snapshot: (ctx, a) =>
        this.#snapshots.deleteSnapshot(ctx, a.snapshot_id, a.unmanage_only === true).then(() => undefined),
      publish_service_capabilities: () => this.publishCapabilities(),
      // POST /workers/cleanup, through the scheduler's work_cleanup (src/scheduler/work-cleanup.ts)
      do_cleanup: async (_ctx, a) => {
        await this.doCleanup(a.cleanup_request ?? {});
      },
      freeze_host: () => this.freezeHost(),
      thaw_host: () => this.thawHost(),
      set_log_levels: async (_ctx, a) => setLogLevels(a.prefix, a.level),
      get_log_levels: async (_ctx, a) => getLogLevels(a.prefix),
      // GET /capabilities/{host} (src/volume/capabilities.ts)
      get_capabilities: () => backendCapabilities(this.driver),
      // extend_volume, revert_to_snapshot, retype, migrate_volume, create_migration_target
      ...volumeActionEndpoints(this.#actionBackend),
      // attachment_update/_delete, initialize/terminate_connection, attach/detach_volume, remove_export
      ...attachmentEndpoints(this.#actionBackend),
      // create_group, delete_group, update_group, create_group_from_src, create/delete_group_snapshot
      ...groupEndpoints({
        deps: this.deps,
        host: this.host,
        createVolume: (ctx, id) => this.createVolume(ctx, id, null, {}, false),
        deleteVolume: (ctx, id) => this.deleteVolume(ctx, id),
        createSnapshot: (ctx, id) => this.#snapshots.createSnapshot(ctx, id),
        deleteSnapshot: (ctx, id) => this.#snapshots.deleteSnapshot(ctx, id),
      }),
      // manage_existing, manage_existing_snapshot, get_manageable_volumes/_snapshots (manage-manager.ts)
      ...this.#manage.endpoints,
      // get_backup_device, close_backup_device (backup-device.ts)
      ...backupDeviceEndpoints({
        deps: this.deps,
        driver: this.driver,
        initialized: () => this.#initialized,
      }),
    };
  }

  /** Driver stats with the allocated capacity of each pool (manager/stats.ts). */
  async volumeStats(): Promise<VolumeStats> {
    return volumeStats(this.#backend);
  }

  /**
   * `init_host` cleanup: the creates and deletes this backend (or a dead member of its cluster)
   * left unfinished are run again (manager/resume.ts).
   */
  async cleanup(olderThanSeconds = 0): Promise<ResumedVolume[]> {
    return resumeLeftWork(
      this.#backend,
      {
        createVolume: (c, id) => this.createVolume(c, id, null, {}, false),
        deleteVolume: (c, id) => this.deleteVolume(c, id),
        doCleanup: (req) => this.doCleanup(req),
      },
      olderThanSeconds,
    );
  }

  /** Volumes of this backend left `managing` by a run that died are managed again; their ids. */
  async resumeManaging(): Promise<string[]> {
    if (!this.#initialized) return [];
    return this.#manage.resumeManaging();
  }

  /** Cinder's `do_cleanup` for this service (src/volume/cleanup.ts). */
  async doCleanup(req: CleanupRequest): Promise<CleanedWork[]> {
    return doCleanup(this.deps, this.#cleanupActions, req);
  }

  get #cleanupActions(): CleanupActions {
    const ctx = adminContext();
    return {
      serviceId: this.#service?.row?.id ?? null,
      resumeCreate: (id) => this.createVolume(ctx, id, null, {}, false),
      retryDelete: (id) => this.deleteVolume(ctx, id),
      resumeSnapshotCreate: (id) => this.#snapshots.createSnapshot(ctx, id),
      retrySnapshotDelete: (id) => this.#snapshots.deleteSnapshot(ctx, id).then(() => undefined),
    };
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

  /** What the manager flows share with their tasks. */
  #flowContext(): ManagerFlowContext {
    return {
      deps: this.deps,
      host: this.host,
      driver: this.driver,
      driverInitialized: () => this.#initialized,
      scheduler: this.#scheduler,
      restoreBackup: this.restoreBackup,
      serviceUuid: this.#service?.row?.uuid ?? null,
      images: this.#images,
      imageOptions: imageConversionOptions(this.deps.config, this.deps.log),
      imageCache: this.#imageCache,
    };
  }

  /** `create_volume` (manager/create.ts). */
  async createVolume(
    ctx: RequestContext,
    volumeId: string,
    requestSpec: RequestSpec | null,
    filterProperties: FilterProperties,
    allowReschedule: boolean,
  ): Promise<void> {
    await createVolume(this.#backend, ctx, volumeId, requestSpec, filterProperties, allowReschedule);
  }

  /** `delete_volume` (manager/delete.ts). */
  async deleteVolume(
    ctx: RequestContext,
    volumeId: string,
    cascade = false,
    unmanageOnly = false,
  ): Promise<void> {
    await deleteVolume(this.#backend, ctx, volumeId, cascade, unmanageOnly);
  }
}
