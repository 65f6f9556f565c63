/**
 * The backup service (Cinder's `backup/manager.py`, binary `cinder-backup`, topic
 * `cinder-backup`): an RPC endpoint on `cinder-backup.<host>` that creates, restores and deletes
 * backups with its driver, exports and imports backup records and resets statuses.
 *
 * How it reaches the data: it asks the volume's backend for a backup device over RPC
 * (`get_backup_device`, src/backup/volume-endpoints.ts) and opens it itself (src/backup/device-io.ts),
 * so the backup service must reach the storage as the volume service does: the same path for the
 * file driver (one host, or `file_volume_dir` on a shared filesystem), the same cluster and keys
 * for RBD.
 *
 * A message for a backup that is no longer in the state it asks for (a redelivery after a crash,
 * one the start-up cleanup already settled) is dropped, as the volume service drops stale creates.
 */
import { join } from 'node:path';
import type { RequestContext } from '../common/context.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { getLogLevels, setLogLevels } from '../common/log-levels.js';
import { InvalidBackup, InvalidSnapshot, InvalidVolume } from '../common/errors.js';
import {
  backupGet,
  backupUpdate,
  backupsOnHost,
  backupMetadataUpdate,
  type BackupRecord,
} from '../db/api/backups.js';
import { snapshotGet, snapshotUpdate } from '../db/api/snapshots.js';
import { volumeGet, volumeMetadataUpdate, volumeUpdate, type VolumeRecord } from '../db/api/volumes.js';
import { backupVolumeMeta, restoreVolumeMeta } from './volume-meta.js';
import { isoNow } from '../db/time.js';
import {
  Action,
  Detail,
  Resource,
  type MessageAction,
  type MessageDetail,
} from '../message/message-field.js';
import type { Endpoint, Listener } from '../rpc/transport.js';
import { ServiceRecord } from '../service/service-record.js';
import { GiB, type BackupDevice } from '../volume/driver.js';
import { VolumeRPCAPI } from '../volume/rpcapi.js';
import { destroyBackupReleasingQuota } from './destroy.js';
import { openDeviceReader, openDeviceWriter } from './device-io.js';
import type { BackupDriver, DriverBackup } from './driver.js';
import { BackupRestoreCancel } from './errors.js';
import { BACKUP_BINARY } from './hosts.js';
import type { BackupOptions } from './options.js';
import { decodeRecord, encodeRecord, importedColumns } from './record.js';
import { BACKUP_TOPIC, BackupRPCAPI, backupTarget, type BackupRecordExport } from './rpcapi.js';
import { notifyBackup } from './usage.js';

/** How often a backup service whose driver failed to start tries again (Cinder's default). */
const DRIVER_INIT_CHECK_S = 60;
/** How long a stopping service lets running backups and restores finish. */
const STOP_GRACE_MS = 30_000;

/** `fail_reason` is a varchar(255). */
function failReason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 255);
}

export class BackupManager {
  /** `[DEFAULT] host`: the service's host and queue name (`cinder-backup.<host>`). */
  readonly host: string;
  readonly availabilityZone: string;
  #initialized = false;
  #listener: Listener | null = null;
  #service: ServiceRecord | null = null;
  #initTimer: NodeJS.Timeout | null = null;
  /** Operations running now (a stop waits for them, up to STOP_GRACE_MS). */
  readonly #running = new Set<Promise<unknown>>();
  readonly #volumeRpc: VolumeRPCAPI;
  readonly #backupRpc: BackupRPCAPI;

  constructor(
    private readonly deps: CoreDeps,
    readonly driver: BackupDriver,
    private readonly opts: BackupOptions,
  ) {
    this.host = deps.config.DEFAULT.host;
    this.availabilityZone = deps.config.DEFAULT.storage_availability_zone;
    this.#volumeRpc = new VolumeRPCAPI(deps.transport);
    this.#backupRpc = new BackupRPCAPI(deps.transport);
  }

  get #db() {
    return this.deps.dbh.db;
  }

  /** Cinder's `is_working`: the driver passed its setup check. */
  get initialized(): boolean {
    return this.#initialized;
  }

  /** `init_host`: check the driver, register, clean up what a previous run left, listen. */
  async start(): Promise<void> {
    await this.#setupDriver();
    if (!this.#initialized) {
      this.#initTimer = setInterval(() => void this.#setupDriver(), DRIVER_INIT_CHECK_S * 1000);
      this.#initTimer.unref();
    }
    this.#service = new ServiceRecord(this.deps, {
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
    const id = (a: Record<string, unknown>) => a.backup_id as string;
    const out: Endpoint = {};
    for (const [name, fn] of Object.entries(this.#operations(id)) as [string, Endpoint[string]][])
      out[name] = (ctx, a) => this.#track(() => fn(ctx, a));
    return out;
  }

  #operations(id: (a: Record<string, unknown>) => string) {
    return {
      create_backup: (ctx: RequestContext, a: Record<string, unknown>) => this.createBackup(ctx, id(a)),
      restore_backup: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.restoreBackup(ctx, id(a), a.volume_id as string),
      delete_backup: (ctx: RequestContext, a: Record<string, unknown>) => this.deleteBackup(ctx, id(a)),
      export_record: (ctx: RequestContext, a: Record<string, unknown>) => this.exportRecord(ctx, id(a)),
      import_record: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.importRecord(ctx, {
          backup_id: id(a),
          backup_service: a.backup_service as string,
          backup_url: a.backup_url as string,
          backup_hosts: (a.backup_hosts as string[] | undefined) ?? [],
        }),
      reset_status: (ctx: RequestContext, a: Record<string, unknown>) =>
        this.resetStatus(ctx, id(a), a.status as string),
      check_support_to_force_delete: async () => this.driver.supportForceDelete,
      publish_service_capabilities: async () => undefined,
      set_log_levels: async (_ctx: RequestContext, a: Record<string, unknown>) =>
        setLogLevels(a.prefix as string | null, a.level),
      get_log_levels: async (_ctx: RequestContext, a: Record<string, unknown>) =>
        getLogLevels(a.prefix as string | null),
    };
  }

  // ---- helpers ------------------------------------------------------------------------------------

  async #message(
    ctx: RequestContext,
    action: MessageAction,
    b: { id: string; project_id: string | null },
    detail: MessageDetail,
  ): Promise<void> {
    await this.deps.messages.create(ctx, action, {
      resourceType: Resource.VOLUME_BACKUP,
      resourceUuid: b.id,
      projectId: b.project_id,
      detail,
    });
  }

  /** `update_backup_error`. */
  async #setError(id: string, err: unknown, status = 'error'): Promise<void> {
    await backupUpdate(this.#db, id, { status, fail_reason: failReason(err) });
  }

  /** Cinder's `_is_our_backup`: made by this driver (or by no driver yet). */
  isOurBackup(service: string | null): boolean {
    return !service || this.driver.name.startsWith(service);
  }

  #notify(b: BackupRecord, event: string): Promise<void> {
    return notifyBackup(this.deps, this.host, b, event);
  }

  /** True when the backup was deleted (or is being deleted) under a running backup. */
  async #deletedMeanwhile(id: string): Promise<boolean> {
    const now = await backupGet(this.#db, id, { readDeleted: true });
    return !now || now.deleted === 1 || now.status === 'deleting' || now.status === 'deleted';
  }

  /** The chain a restore applies: the full backup first, then each incremental up to `b`. */
  async #chain(b: BackupRecord): Promise<BackupRecord[]> {
    const chain = [b];
    for (let cur = b; cur.parent_id;) {
      const parent = await backupGet(this.#db, cur.parent_id);
      if (!parent) throw new InvalidBackup(`Parent backup ${cur.parent_id} of backup ${cur.id} is missing`);
      chain.unshift(parent);
      cur = parent;
    }
    return chain;
  }

  // ---- create -------------------------------------------------------------------------------------

  /** `create_backup`: reads the volume (or snapshot) through its backend's device and stores it. */
  async createBackup(ctx: RequestContext, backupId: string): Promise<void> {
    const db = this.#db;
    const backup = await backupGet(db, backupId);
    if (!backup || backup.status !== 'creating') {
      this.deps.log.info({ backup_id: backupId, status: backup?.status }, 'create_backup: nothing to do');
      return;
    }
    const volume = await volumeGet(db, backup.volume_id);
    const snapshot = backup.snapshot_id ? await snapshotGet(db, backup.snapshot_id) : null;
    this.deps.log.info(
      { backup_id: backupId, volume_id: backup.volume_id, snapshot_id: backup.snapshot_id },
      'Create backup started',
    );
    await this.#notify(backup, 'create.start');

    const expected = 'backing-up';
    if (backup.snapshot_id) {
      const actual = snapshot?.status ?? 'deleted';
      if (actual !== expected) {
        await this.#setError(
          backupId,
          new InvalidSnapshot(
            `Create backup aborted, expected snapshot status ${expected} but got ${actual}.`,
          ),
        );
        return;
      }
    } else {
      const actual = volume?.status ?? 'deleted';
      if (actual !== expected) {
        await this.#setError(
          backupId,
          new InvalidVolume(`Create backup aborted, expected volume status ${expected} but got ${actual}.`),
        );
        return;
      }
    }
    const previousStatus = volume?.previous_status ?? 'available';
    let updates: { container: string; service_metadata: string; object_count: number } | null;
    try {
      if (!this.#initialized) {
        await this.#message(ctx, Action.BACKUP_CREATE, backup, Detail.BACKUP_SERVICE_DOWN);
        throw new InvalidBackup('Create backup aborted due to backup service is down.');
      }
      await backupUpdate(db, backupId, { service: this.driver.name });
      updates = await this.#runBackup(ctx, backup, volume!, snapshot?.volume_size ?? volume!.size);
    } catch (err) {
      this.deps.log.warn({ backup_id: backupId, err }, 'Create backup failed');
      if (backup.snapshot_id) await snapshotUpdate(db, backup.snapshot_id, { status: 'available' });
      else if (volume)
        await volumeUpdate(db, volume.id, { status: previousStatus, previous_status: 'error_backing-up' });
      await this.#setError(backupId, err);
      return;
    }
    await this.#finishBackup(backup, volume!, previousStatus, updates);
  }

  /** Gets the device from the volume service, opens it and has the driver store it. */
  async #runBackup(ctx: RequestContext, backup: BackupRecord, volume: VolumeRecord, sizeGb: number) {
    const placement = { host: volume.host!, cluster_name: volume.cluster_name };
    let device: BackupDevice;
    try {
      device = await this.#volumeRpc.getBackupDevice(ctx, placement, {
        volume_id: volume.id,
        snapshot_id: backup.snapshot_id,
        mode: 'read',
      });
    } catch (e) {
      await this.#message(ctx, Action.BACKUP_CREATE, backup, Detail.BACKUP_CREATE_DEVICE_ERROR);
      throw e;
    }
    try {
      let reader;
      try {
        reader = await openDeviceReader(device, sizeGb * GiB);
      } catch (e) {
        await this.#message(ctx, Action.BACKUP_CREATE, backup, Detail.ATTACH_ERROR);
        throw e;
      }
      try {
        const parent = backup.parent_id ? await backupGet(this.#db, backup.parent_id) : null;
        if (backup.parent_id && !parent)
          throw new InvalidBackup(`Parent backup ${backup.parent_id} is missing`);
        return await this.driver.backup(backup, reader, {
          volumeSizeBytes: sizeGb * GiB,
          parent,
          volumeMeta: backupVolumeMeta(volume),
          onPrepared: async (u) => {
            await backupUpdate(this.#db, backup.id, u);
          },
          isCanceled: () => this.#deletedMeanwhile(backup.id),
        });
      } catch (e) {
        await this.#message(ctx, Action.BACKUP_CREATE, backup, Detail.BACKUP_CREATE_DRIVER_ERROR);
        throw e;
      } finally {
        await reader.close();
      }
    } finally {
      await this.#volumeRpc
        .closeBackupDevice(ctx, placement, { volume_id: volume.id, device })
        .catch((e: unknown) =>
          this.deps.log.warn({ err: e, volume_id: volume.id }, 'close_backup_device failed'),
        );
    }
  }

  /** `_finish_backup`: the source back to its status, the backup `available` (unless deleted meanwhile). */
  async #finishBackup(
    backup: BackupRecord,
    volume: VolumeRecord,
    previousStatus: string,
    updates: { container: string; service_metadata: string; object_count: number } | null,
  ): Promise<void> {
    const db = this.#db;
    if (backup.snapshot_id) await snapshotUpdate(db, backup.snapshot_id, { status: 'available' });
    else await volumeUpdate(db, volume.id, { status: previousStatus, previous_status: 'backing-up' });
    const now = (await backupGet(db, backup.id, { readDeleted: true })) ?? backup;
    let outcome = 'finished';
    if (!updates || now.deleted || now.status === 'deleting' || now.status === 'deleted') outcome = 'aborted';
    else {
      await backupUpdate(db, backup.id, { status: 'available', size: volume.size, ...updates });
      if (backup.parent_id) {
        const parent = await backupGet(db, backup.parent_id);
        if (parent)
          await backupUpdate(db, parent.id, { num_dependent_backups: parent.num_dependent_backups + 1 });
      }
    }
    this.deps.log.info({ backup_id: backup.id }, `Create backup ${outcome}.`);
    await this.#notify((await backupGet(db, backup.id, { readDeleted: true })) ?? now, 'create.end');
  }

  // ---- restore ------------------------------------------------------------------------------------

  /** `restore_backup`: writes the backup (and its parents) into the volume. */
  async restoreBackup(ctx: RequestContext, backupId: string, volumeId: string): Promise<void> {
    const db = this.#db;
    const backup = await backupGet(db, backupId);
    const volume = await volumeGet(db, volumeId);
    if (!backup || backup.status !== 'restoring' || !volume) {
      this.deps.log.info(
        { backup_id: backupId, volume_id: volumeId, status: backup?.status },
        'restore_backup: nothing to do',
      );
      return;
    }
    this.deps.log.info({ backup_id: backupId, volume_id: volumeId }, 'Restore backup started');
    await this.#notify(backup, 'restore.start');
    const wasCreating = volume.status === 'creating';
    const failedStatus = wasCreating ? 'error' : 'error_restoring';
    if (volume.status !== 'restoring-backup' && !wasCreating) {
      await backupUpdate(db, backupId, { status: 'available' });
      await volumeUpdate(db, volumeId, { status: 'error_restoring' });
      await this.deps.messages.create(ctx, Action.BACKUP_RESTORE, {
        resourceType: Resource.VOLUME_BACKUP,
        resourceUuid: volume.id,
        projectId: backup.project_id,
        detail: Detail.VOLUME_INVALID_STATE,
      });
      this.deps.log.warn(
        { backup_id: backupId },
        `Restore backup aborted, expected volume status restoring-backup,creating but got ${volume.status}.`,
      );
      return;
    }
    if (!this.isOurBackup(backup.service)) {
      await backupUpdate(db, backupId, { status: 'available' });
      await volumeUpdate(db, volumeId, { status: 'error' });
      this.deps.log.warn(
        { backup_id: backupId },
        `Restore backup aborted, the backup service currently configured [${this.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
      );
      return;
    }
    let canceled = false;
    try {
      await this.#runRestore(ctx, backup, volume);
    } catch (err) {
      if (err instanceof BackupRestoreCancel) canceled = true;
      else {
        this.deps.log.warn({ backup_id: backupId, volume_id: volumeId, err }, 'Restore backup failed');
        await volumeUpdate(db, volumeId, { status: failedStatus });
        await backupUpdate(db, backupId, { status: 'available' });
        return;
      }
    }
    // Re-read: the restore may have replaced the metadata with the backed-up volume's. Written
    // before the status, as Cinder saves the volume last: `available` means the metadata is there.
    const old = (await volumeGet(db, volumeId))?.metadata.src_backup_id;
    if (backup.volume_id !== volume.id || (old && old !== backup.id))
      await volumeMetadataUpdate(db, volume.id, { src_backup_id: backup.id }, false);
    const values: Parameters<typeof volumeUpdate>[2] = { status: canceled ? 'error' : 'available' };
    if (!canceled && wasCreating) values.launched_at = isoNow();
    await volumeUpdate(db, volumeId, values);
    await backupUpdate(db, backupId, { status: 'available' });
    this.deps.log.info(
      { backup_id: backupId, volume_id: volumeId },
      `${canceled ? 'Canceled' : 'Finished'} restoring backup.`,
    );
    await this.#notify((await backupGet(db, backupId)) ?? backup, 'restore.end');
  }

  async #runRestore(ctx: RequestContext, backup: BackupRecord, volume: VolumeRecord): Promise<void> {
    const placement = { host: volume.host!, cluster_name: volume.cluster_name };
    const chain = await this.#chain(backup);
    let device: BackupDevice;
    try {
      device = await this.#volumeRpc.getBackupDevice(ctx, placement, {
        volume_id: volume.id,
        snapshot_id: null,
        mode: 'write',
      });
    } catch (e) {
      await this.#message(ctx, Action.BACKUP_RESTORE, backup, Detail.ATTACH_ERROR);
      throw e;
    }
    try {
      const targetBytes = volume.size * GiB;
      const writer = await openDeviceWriter(device, targetBytes, join(this.opts.backup_posix_path, '.tmp'));
      let volumeMeta: string | null;
      try {
        volumeMeta = await this.driver.restore(chain, writer, {
          targetBytes,
          isCanceled: async () => (await backupGet(this.#db, backup.id))?.status !== 'restoring',
        });
      } catch (e) {
        await writer.abort();
        if (!(e instanceof BackupRestoreCancel))
          await this.#message(ctx, Action.BACKUP_RESTORE, backup, Detail.BACKUP_RESTORE_ERROR);
        throw e;
      }
      try {
        await writer.close();
        if (volumeMeta) await restoreVolumeMeta(this.#db, volume.id, volumeMeta);
      } catch (e) {
        await this.#message(ctx, Action.BACKUP_RESTORE, backup, Detail.BACKUP_RESTORE_ERROR);
        throw e;
      }
    } finally {
      await this.#volumeRpc
        .closeBackupDevice(ctx, placement, { volume_id: volume.id, device })
        .catch((e: unknown) =>
          this.deps.log.warn({ err: e, volume_id: volume.id }, 'close_backup_device failed'),
        );
    }
  }

  // ---- delete -------------------------------------------------------------------------------------

  /** `delete_backup`: removes the stored data, gives the quota back, soft-deletes the row. */
  async deleteBackup(ctx: RequestContext, backupId: string): Promise<void> {
    const db = this.#db;
    const backup = await backupGet(db, backupId);
    if (!backup || backup.status !== 'deleting') {
      this.deps.log.info({ backup_id: backupId, status: backup?.status }, 'delete_backup: nothing to do');
      return;
    }
    this.deps.log.info({ backup_id: backupId }, 'Delete backup started');
    await this.#notify(backup, 'delete.start');
    if (backup.service && !this.#initialized) {
      await this.#setError(
        backupId,
        new InvalidBackup('Delete backup is aborted due to backup service is down.'),
        'error_deleting',
      );
      await this.#message(ctx, Action.BACKUP_DELETE, backup, Detail.BACKUP_SERVICE_DOWN);
      return;
    }
    if (!this.isOurBackup(backup.service)) {
      await this.#setError(
        backupId,
        new InvalidBackup(
          `Delete backup aborted, the backup service currently configured [${this.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
        ),
      );
      return;
    }
    if (backup.service) {
      try {
        await this.driver.deleteBackup(backup);
      } catch (err) {
        this.deps.log.warn({ backup_id: backupId, err }, 'Delete backup failed');
        await this.#setError(backupId, err);
        await this.#message(ctx, Action.BACKUP_DELETE, backup, Detail.BACKUP_DELETE_DRIVER_ERROR);
        return;
      }
    }
    await destroyBackupReleasingQuota(this.deps, backup);
    if (backup.parent_id) {
      const parent = await backupGet(db, backup.parent_id);
      if (parent && parent.num_dependent_backups > 0)
        await backupUpdate(db, parent.id, { num_dependent_backups: parent.num_dependent_backups - 1 });
    }
    this.deps.log.info({ backup_id: backupId }, 'Delete backup finished, backup deleted.');
    await this.#notify({ ...backup, status: 'deleted', deleted: 1 }, 'delete.end');
  }

  // ---- export / import / reset --------------------------------------------------------------------

  /** `export_record`: the record to import this backup elsewhere. */
  async exportRecord(_ctx: RequestContext, backupId: string): Promise<BackupRecordExport> {
    const backup = await backupGet(this.#db, backupId);
    const actual = backup?.status ?? 'deleted';
    if (!backup || actual !== 'available')
      throw new InvalidBackup(`Export backup aborted, expected backup status available but got ${actual}.`);
    if (!this.isOurBackup(backup.service))
      throw new InvalidBackup(
        `Export record aborted, the backup service currently configured [${this.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
      );
    return {
      backup_service: backup.service ?? this.driver.name,
      backup_url: encodeRecord(backup, this.driver.exportRecord(backup)),
    };
  }

  /**
   * `import_record`: checks the record's data is reachable by this driver and fills the row the
   * API made (`creating`) from it; another host's driver is tried when this one is not the
   * record's, and the row goes to `error` when no host can.
   */
  async importRecord(
    ctx: RequestContext,
    a: { backup_id: string; backup_service: string; backup_url: string; backup_hosts: string[] },
  ): Promise<void> {
    const db = this.#db;
    if (!this.isOurBackup(a.backup_service)) {
      const next = a.backup_hosts.pop();
      if (next !== undefined) {
        await this.#backupRpc.importRecord(ctx, next, { ...a, backup_hosts: a.backup_hosts });
        return;
      }
      await this.#setError(
        a.backup_id,
        new Error(
          `Import record failed, cannot find backup service to perform the import. Request service ${a.backup_service}.`,
        ),
      );
      return;
    }
    const backup = await backupGet(db, a.backup_id);
    if (!backup) return;
    let options: Record<string, unknown>;
    try {
      options = decodeRecord(a.backup_url);
      const driverInfo = (options.driver_info ?? {}) as Record<string, unknown>;
      const columns = importedColumns(options);
      const probe: DriverBackup = { ...backup, ...columns, id: backup.id };
      await this.driver.importRecord(probe, driverInfo);
    } catch (err) {
      await this.#setError(a.backup_id, new InvalidBackup(failReason(err)));
      return;
    }
    const required = [
      'display_name',
      'display_description',
      'container',
      'size',
      'service_metadata',
      'object_count',
      'id',
    ];
    const missing = required.filter((k) => !(k in options));
    if (missing.length) {
      await this.#setError(
        a.backup_id,
        new InvalidBackup(
          `Driver successfully decoded imported backup data, but there are missing fields (${missing.join(', ')}).`,
        ),
      );
      return;
    }
    if (options.id !== backup.id) {
      await this.#setError(
        a.backup_id,
        new InvalidBackup(
          `Trying to import backup metadata from id ${String(options.id)} into backup ${backup.id}.`,
        ),
      );
      return;
    }
    await backupUpdate(db, backup.id, {
      ...importedColumns(options),
      service: this.driver.name,
      availability_zone: this.availabilityZone,
      host: this.host,
      status: 'available',
    });
    const meta = options.metadata;
    if (meta && typeof meta === 'object' && !Array.isArray(meta))
      await backupMetadataUpdate(db, backup.id, meta as Record<string, string>, true);
    this.deps.log.info({ backup_id: backup.id }, 'Import record metadata from driver finished.');
  }

  /** `reset_status` (admin): sets the status of a backup this driver made. */
  async resetStatus(_ctx: RequestContext, backupId: string, status: string): Promise<void> {
    const backup = await backupGet(this.#db, backupId);
    if (!backup) return;
    if (!this.isOurBackup(backup.service)) {
      this.deps.log.warn(
        { backup_id: backupId },
        `Reset backup status aborted, the backup service currently configured [${this.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
      );
      return;
    }
    // NOTE: as Cinder: a backup no driver ever worked on keeps its status.
    if (backup.service === null) return;
    await backupUpdate(this.#db, backupId, { status });
    await this.#notify({ ...backup, status }, 'reset_status.end');
  }

  // ---- start-up cleanup ---------------------------------------------------------------------------

  /**
   * `_cleanup_incomplete_backup_operations`: what this host left half-done when it stopped. A
   * backup being created goes to `error` (its volume back to its previous status, a snapshot back
   * to `available`); a restore is given up (backup `available`, the volume `error_restoring`, or
   * `error` when it was a new volume still `creating`); a delete is run again.
   */
  async cleanup(): Promise<{ backupId: string; was: string }[]> {
    const db = this.#db;
    const done: { backupId: string; was: string }[] = [];
    const ctx = adminContext();
    for (const b of await backupsOnHost(db, this.host)) {
      try {
        if (b.status === 'creating') {
          const v = await volumeGet(db, b.volume_id);
          if (v) await this.#cleanupVolume(v);
          if (b.snapshot_id) {
            const s = await snapshotGet(db, b.snapshot_id);
            if (s?.status === 'backing-up') await snapshotUpdate(db, s.id, { status: 'available' });
          }
          await this.#setError(b.id, new Error('incomplete backup reset on manager restart'));
        } else if (b.status === 'restoring') {
          const v = b.restore_volume_id ? await volumeGet(db, b.restore_volume_id) : null;
          if (v) await this.#cleanupVolume(v);
          await backupUpdate(db, b.id, { status: 'available' });
        } else if (b.status === 'deleting') {
          await this.deleteBackup(ctx, b.id);
        } else continue;
        done.push({ backupId: b.id, was: b.status });
      } catch (e) {
        this.deps.log.error({ err: e, backup_id: b.id }, 'Problem cleaning up backup');
      }
    }
    if (done.length)
      this.deps.log.info({ host: this.host, cleaned: done }, 'Cleaned up incomplete backup operations');
    return done;
  }

  async #cleanupVolume(v: VolumeRecord): Promise<void> {
    if (v.status === 'backing-up')
      await volumeUpdate(this.#db, v.id, { status: v.previous_status ?? 'available' });
    else if (v.status === 'restoring-backup')
      await volumeUpdate(this.#db, v.id, { status: 'error_restoring' });
    else if (v.status === 'creating' && v.backup_id) await volumeUpdate(this.#db, v.id, { status: 'error' });
  }
}
