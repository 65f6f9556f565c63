/**
 * The backup service (Cinder's `backup/manager.py`, binary `cinder-backup`, topic
 * `cinder-backup`): an RPC endpoint on `cinder-backup.<host>` that creates, restores and deletes
 * backups with its driver, exports and imports backup records and resets statuses.
 *
 * How it reaches the data: it asks the volume's backend for a backup device over RPC
 * (`get_backup_device`, src/volume/backup-device.ts) and opens it itself (src/volume/device-io.ts),
 * so the backup service must reach the storage as the volume service does: the same path for the
 * file driver (one host, or `file_volume_dir` on a shared filesystem), the same cluster and keys
 * for RBD.
 *
 * A message for a backup that is no longer in the state it asks for (a redelivery after a crash,
 * one the start-up cleanup already settled) is dropped, as the volume service drops stale creates.
 *
 * This class is the service: start, stop, the RPC endpoint. The work of each method is in
 * `manager/` (create, restore, delete, records, cleanup), on the `BackupBackend` it is handed.
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { getLogLevels, setLogLevels } from '../common/log-levels.js';
import type { Endpoint, Listener } from '../rpc/transport.js';
import { rpcEndpoint, type RpcHandlers } from '../rpc/methods.js';
import type { ServiceState, ServiceStateFactory } from '../db/api/services.js';
import { VolumeRPCAPI } from '../volume/rpcapi.js';
import type { BackupDriver } from './driver.js';
import { BACKUP_BINARY } from './hosts.js';
import { isOurBackup, type BackupBackend } from './manager/backend.js';
import { cleanup } from './manager/cleanup.js';
import { createBackup } from './manager/create.js';
import { deleteBackup } from './manager/delete.js';
import { exportRecord, importRecord, resetStatus } from './manager/records.js';
import { restoreBackup } from './manager/restore.js';
import type { BackupOptions } from './options.js';
import {
  BACKUP_TOPIC,
  BackupRPCAPI,
  backupTarget,
  type BackupRecordExport,
  type BackupRpcMethods,
  type ImportRecordArgs,
} from './rpcapi.js';

/** How often a backup service whose driver failed to start tries again (Cinder's default). */
const DRIVER_INIT_CHECK_S = 60;
/** How long a stopping service lets running backups and restores finish. */
const STOP_GRACE_MS = 30_000;

export class BackupManager {
  /** `[DEFAULT] host`: the service's host and queue name (`cinder-backup.<host>`). */
  readonly host: string;
  readonly availabilityZone: string;
  #initialized = false;
  #listener: Listener | null = null;
  #service: ServiceState | null = null;
  #initTimer: NodeJS.Timeout | null = null;
  /** Operations running now (a stop waits for them, up to STOP_GRACE_MS). */
  readonly #running = new Set<Promise<unknown>>();
  /** What the operations in manager/ work with. */
  readonly #backend: BackupBackend;

  constructor(
    private readonly deps: CoreDeps,
    readonly driver: BackupDriver,
    opts: BackupOptions,
  ) {
    this.host = deps.config.DEFAULT.host;
    this.availabilityZone = deps.config.DEFAULT.storage_availability_zone;
    this.#backend = {
      deps,
      host: this.host,
      availabilityZone: this.availabilityZone,
      driver,
      opts,
      volumeRpc: new VolumeRPCAPI(deps.transport),
      backupRpc: new BackupRPCAPI(deps.transport),
      initialized: () => this.#initialized,
    };
  }

  /** Cinder's `is_working`: the driver passed its setup check. */
  get initialized(): boolean {
    return this.#initialized;
  }

  /**
   * `init_host`: check the driver, register (with `serviceState`, the service wrapper's: Cinder's
   * `Service` registers and reports state), clean up what a previous run left, listen.
   */
  async start(serviceState: ServiceStateFactory): Promise<void> {
    await this.#setupDriver();
    if (!this.#initialized) {
      this.#initTimer = setInterval(() => void this.#setupDriver(), DRIVER_INIT_CHECK_S * 1000);
      this.#initTimer.unref();
    }
    this.#service = serviceState({
      host: this.host,
      binary: BACKUP_BINARY,
      topic: BACKUP_TOPIC,
      availability_zone: this.availabilityZone,
    });
    await this.#service.register();
    try {
      await this.cleanup();
    } catch (e) {
      // NOTE: as Cinder: a failed cleanup does not keep the service from starting.
      this.deps.log.error({ err: e, host: this.host }, 'Problem cleaning incomplete backup operations.');
    }
    this.#listener = await this.deps.transport.listen(backupTarget(this.host), this.endpoint());
  }

  async #setupDriver(): Promise<void> {
    try {
      await this.driver.checkForSetupError();
      this.#initialized = true;
      if (this.#initTimer) clearInterval(this.#initTimer);
      this.#initTimer = null;
    } catch (e) {
      this.deps.log.error({ err: e, host: this.host }, 'Failed to initialize backup driver.');
    }
  }

  /** Stops listening, lets running work finish (for a while), marks the service down. */
  async stop(): Promise<void> {
    if (this.#initTimer) clearInterval(this.#initTimer);
    await this.#listener?.stop();
    if (this.#running.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#running]),
        new Promise((r) => (timer = setTimeout(r, STOP_GRACE_MS))),
      ]);
      clearTimeout(timer);
    }
    await this.#service?.stop();
  }

  /** Runs `fn` as one tracked operation. */
  #track<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    this.#running.add(p);
    const forget = () => this.#running.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** The RPC endpoint: every method runs as a tracked operation. */
  endpoint(): Endpoint {
    const out: Endpoint = {};
    for (const [name, fn] of Object.entries(rpcEndpoint(this.#operations())))
      out[name] = (ctx, a) => this.#track(() => fn(ctx, a));
    return out;
  }

  /** The RPC methods, by Cinder's names (src/backup/rpcapi.ts `BackupRpcMethods`). */
  #operations(): RpcHandlers<BackupRpcMethods> {
    return {
      create_backup: (ctx, a) => this.createBackup(ctx, a.backup_id),
      restore_backup: (ctx, a) => this.restoreBackup(ctx, a.backup_id, a.volume_id),
      delete_backup: (ctx, a) => this.deleteBackup(ctx, a.backup_id),
      export_record: (ctx, a) => this.exportRecord(ctx, a.backup_id),
      import_record: (ctx, a) =>
        this.importRecord(ctx, {
          backup_id: a.backup_id,
          backup_service: a.backup_service,
          backup_url: a.backup_url,
          backup_hosts: a.backup_hosts ?? [],
        }),
      reset_status: (ctx, a) => this.resetStatus(ctx, a.backup_id, a.status),
      check_support_to_force_delete: async () => this.driver.supportForceDelete,
      publish_service_capabilities: async () => undefined,
      set_log_levels: async (_ctx, a) => setLogLevels(a.prefix, a.level),
      get_log_levels: async (_ctx, a) => getLogLevels(a.prefix),
    };
  }

  // ---- the operations (manager/) ------------------------------------------------------------------

  /** Cinder's `_is_our_backup`: made by this driver (or by no driver yet). */
  isOurBackup(service: string | null): boolean {
    return isOurBackup(this.#backend, service);
  }

  /** `create_backup`: reads the volume (or snapshot) through its backend's device and stores it. */
  createBackup(ctx: RequestContext, backupId: string): Promise<void> {
    return createBackup(this.#backend, ctx, backupId);
  }

  /** `restore_backup`: writes the backup (and its parents) into the volume. */
  restoreBackup(ctx: RequestContext, backupId: string, volumeId: string): Promise<void> {
    return restoreBackup(this.#backend, ctx, backupId, volumeId);
  }

  /** `delete_backup`: removes the stored data, gives the quota back, soft-deletes the row. */
  deleteBackup(ctx: RequestContext, backupId: string): Promise<void> {
    return deleteBackup(this.#backend, ctx, backupId);
  }

  /** `export_record`: the record to import this backup elsewhere. */
  exportRecord(ctx: RequestContext, backupId: string): Promise<BackupRecordExport> {
    return exportRecord(this.#backend, ctx, backupId);
  }

  /** `import_record`: fills the row the API made from the record (or passes it to another host). */
  importRecord(ctx: RequestContext, a: ImportRecordArgs): Promise<void> {
    return importRecord(this.#backend, ctx, a);
  }

  /** `reset_status` (admin): sets the status of a backup this driver made. */
  resetStatus(ctx: RequestContext, backupId: string, status: string): Promise<void> {
    return resetStatus(this.#backend, ctx, backupId, status);
  }

  /** `_cleanup_incomplete_backup_operations`: what this host left half-done when it stopped. */
  cleanup(): Promise<{ backupId: string; was: string }[]> {
    return cleanup(this.#backend);
  }
}
