/**
 * The API side of backups (Cinder's `backup/api.py`): policy and status rules, quota, the row,
 * and the casts to a backup service. Cinder Zed sends a new backup through the scheduler, which
 * only picks a backup service; Kindling picks it here from the service heartbeats, with the
 * scheduler's outcome when none is up (202, then the backup in `error` with a user message).
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { authorize } from '../auth/policy.js';
import { extractHost } from '../common/host.js';
import {
  BackupNotFound,
  BackupServiceNotFound,
  InvalidBackup,
  InvalidInput,
  InvalidSnapshot,
  InvalidVolume,
  NotSupportedOperation,
} from '../common/errors.js';
import { newUuid } from '../common/uuid.js';
import {
  backupChildCount,
  backupConditionalUpdate,
  backupCount,
  backupCreate,
  backupDestroy,
  backupGet,
  backupGetAll,
  backupMetadataUpdate,
  backupRevive,
  backupsOfVolume,
  backupUpdate,
  type BackupFilters,
  type BackupRecord,
} from '../db/api/backups.js';
import type { PageRequest } from '../db/api/common.js';
import { snapshotUpdate, type SnapshotRecord } from '../db/api/snapshots.js';
import { MarkerNotFound, volumeGet, volumeUpdate, type VolumeRecord } from '../db/api/volumes.js';
import { isoNow } from '../common/time.js';
import { Action, Detail, Resource } from '../message/message-field.js';
import { backupOverQuotaToError, OverQuota } from '../quota/over-quota.js';
import type { VolumeAPI } from '../volume/api.js';
import { SnapshotAPI } from '../volume/snapshot-api.js';
import { backupDeltas } from './destroy.js';
import { availableBackupHost, upBackupHosts } from './hosts.js';
import { backupOptions } from './options.js';
import { decodeRecord } from './record.js';
import { BackupRPCAPI, type BackupRecordExport } from './rpcapi.js';
import { notifyBackup } from './usage.js';

/** The volume id of an imported backup until its record is read (Cinder's `IMPORT_VOLUME_ID`). */
export const IMPORT_VOLUME_ID = '00000000-0000-0000-0000-000000000000';

/** Every backup status (`fields.BackupStatus`). */
export const BACKUP_STATUSES = [
  'error',
  'error_deleting',
  'creating',
  'available',
  'deleting',
  'deleted',
  'restoring',
] as const;

/** What `POST /backups` asks for. */
export interface CreateBackupRequest {
  name: string | null;
  description: string | null;
  volume_id: string;
  container: string | null;
  incremental: boolean;
  availability_zone: string | null;
  force: boolean;
  snapshot_id: string | null;
  metadata: Record<string, string> | null;
}

/** What a restore answers (`{restore: {backup_id, volume_id, volume_name}}`). */
export interface RestoreResult {
  backup_id: string;
  volume_id: string;
  volume_name: string | null;
}

/** How often a restore polls the volume it created, and for how long at most. */
const NEW_VOLUME_POLL_MS = 250;
const NEW_VOLUME_WAIT_MS = 10 * 60 * 1000;

export class BackupAPI {
  readonly #rpc: BackupRPCAPI;
  readonly #snapshots: SnapshotAPI;

  constructor(
    private readonly deps: CoreDeps,
    private readonly volumes: VolumeAPI,
  ) {
    this.#rpc = new BackupRPCAPI(deps.transport);
    this.#snapshots = new SnapshotAPI(deps);
  }

  get #db() {
    return this.deps.dbh.db;
  }

  /** The backup service for a backup (or ServiceNotFound). */
  #hostFor(b: { host: string | null; availability_zone: string | null }): Promise<string> {
    return availableBackupHost(this.#db, {
      host: b.host,
      az: b.availability_zone,
      sameHost: backupOptions(this.deps.config).backup_use_same_host,
      downTime: this.deps.config.DEFAULT.service_down_time,
    });
  }

  /** A backup the caller may see, or 404 (`get`). */
  async get(ctx: RequestContext, id: string): Promise<BackupRecord> {
    const b = await backupGet(this.#db, id, { projectId: ctx.isAdmin ? null : ctx.projectId });
    if (!b) throw new BackupNotFound(id);
    authorize(ctx, 'backup:get', b.project_id);
    return b;
  }

  /** A page of backups; a marker naming none is `BackupNotFound`. */
  async getAll(ctx: RequestContext, filters: BackupFilters, page: PageRequest): Promise<BackupRecord[]> {
    authorize(ctx, 'backup:get_all');
    try {
      return await backupGetAll(this.#db, filters, page);
    } catch (e) {
      if (e instanceof MarkerNotFound) throw new BackupNotFound(e.marker);
      throw e;
    }
  }

  async count(ctx: RequestContext, filters: BackupFilters): Promise<number> {
    authorize(ctx, 'backup:get_all');
    return backupCount(this.#db, filters);
  }

  // ---- create -------------------------------------------------------------------------------------

  /**
   * `create`: checks the volume (or snapshot), reserves `backups` and `backup_gigabytes`, finds
   * the parent of an incremental backup, marks the source `backing-up`, writes the row in
   * `creating`, commits, and hands the backup to a backup service.
   */
  async create(ctx: RequestContext, req: CreateBackupRequest): Promise<BackupRecord> {
    const db = this.#db;
    const volume = await this.volumes.get(ctx, req.volume_id);
    authorize(ctx, 'backup:create', volume.project_id);
    let snapshot: SnapshotRecord | null = null;
    if (req.snapshot_id) {
      snapshot = await this.#snapshots.get(ctx, req.snapshot_id);
      if (volume.id !== snapshot.volume_id)
        throw new InvalidVolume(
          `Volume ${volume.id} does not match with snapshot.volume_id ${snapshot.volume_id}.`,
        );
      if (snapshot.status !== 'available')
        throw new InvalidSnapshot(
          `Snapshot to be backed up must be available, but the current status is "${snapshot.status}".`,
        );
    } else if (!['available', 'in-use'].includes(volume.status)) {
      throw new InvalidVolume(
        `Volume to be backed up must be available or in-use, but the current status is "${volume.status}".`,
      );
    } else if (volume.status === 'in-use' && !req.force) {
      throw new InvalidVolume('Backing up an in-use volume must use the force flag.');
    }
    const previousStatus = volume.status;
    const projectId = ctx.projectId!;
    const deltas = backupDeltas(volume.size);
    let reservations: string[];
    try {
      reservations = await this.deps.quotas.reserve(projectId, deltas);
    } catch (e) {
      if (e instanceof OverQuota) throw backupOverQuotaToError(e, volume.size);
      throw e;
    }
    let backup: BackupRecord | null = null;
    try {
      const parent = req.incremental ? await this.#latestBackup(ctx, volume, snapshot) : null;
      if (snapshot) await snapshotUpdate(db, snapshot.id, { status: 'backing-up' });
      else await volumeUpdate(db, volume.id, { status: 'backing-up', previous_status: previousStatus });
      const now = isoNow();
      backup = await backupCreate(db, {
        id: newUuid(),
        user_id: ctx.userId,
        project_id: ctx.projectId,
        display_name: req.name,
        display_description: req.description,
        volume_id: volume.id,
        status: 'creating',
        container: req.container,
        parent_id: parent?.id ?? null,
        size: volume.size,
        snapshot_id: snapshot?.id ?? null,
        data_timestamp: snapshot ? snapshot.created_at : now,
        created_at: now,
        metadata: req.metadata ?? {},
      });
      await this.deps.quotas.commit(reservations);
    } catch (e) {
      try {
        if (backup) await backupDestroy(db, backup.id);
      } finally {
        await this.deps.quotas.rollback(reservations);
      }
      throw e;
    }
    await this.#schedule(ctx, backup, volume, snapshot, req.availability_zone);
    return (await backupGet(db, backup.id)) ?? backup;
  }

  /**
   * The parent of an incremental backup: the project's backup of the volume with the latest
   * `data_timestamp` (for a snapshot's backup, the latest one older than the snapshot).
   */
  async #latestBackup(
    ctx: RequestContext,
    volume: VolumeRecord,
    snapshot: SnapshotRecord | null,
  ): Promise<BackupRecord> {
    const backups = await backupsOfVolume(this.#db, volume.id, ctx.projectId);
    if (backups.length === 0) throw new InvalidBackup('No backups available to do an incremental backup.');
    const key = (b: BackupRecord) =>
      !snapshot || (b.data_timestamp ?? '') < snapshot.created_at ? (b.data_timestamp ?? '') : '';
    let latest = backups[0]!;
    for (const b of backups) if (key(b) > key(latest)) latest = b;
    if (latest.status !== 'available')
      throw new InvalidBackup('The parent backup must be available for incremental backup.');
    return latest;
  }

  /**
   * The scheduler's `create_backup`: a backup service in the zone asked for (3.51) or the
   * volume's; none up → the source goes back, the backup to `error`, with a user message.
   */
  async #schedule(
    ctx: RequestContext,
    backup: BackupRecord,
    volume: VolumeRecord,
    snapshot: SnapshotRecord | null,
    az: string | null,
  ): Promise<void> {
    const db = this.#db;
    let host: string;
    try {
      host = await availableBackupHost(db, {
        host: volume.host ? (extractHost(volume.host, 'host') ?? null) : null,
        az: az ?? volume.availability_zone,
        sameHost: backupOptions(this.deps.config).backup_use_same_host,
        downTime: this.deps.config.DEFAULT.service_down_time,
      });
    } catch (e) {
      if (!(e instanceof BackupServiceNotFound)) throw e;
      if (snapshot) await snapshotUpdate(db, snapshot.id, { status: 'available' });
      else await volumeUpdate(db, volume.id, { status: volume.status, previous_status: 'backing-up' });
      await backupUpdate(db, backup.id, {
        status: 'error',
        fail_reason: 'Service not found for creating backup.',
      });
      await this.deps.messages.create(ctx, Action.BACKUP_CREATE, {
        resourceType: Resource.VOLUME_BACKUP,
        resourceUuid: backup.id,
        projectId: backup.project_id,
        detail: Detail.BACKUP_SCHEDULE_ERROR,
      });
      return;
    }
    await backupUpdate(db, backup.id, { host });
    await this.#rpc.createBackup(ctx, host, backup.id);
  }

  // ---- restore ------------------------------------------------------------------------------------

  /**
   * `restore`: into `volumeId`, or into a new volume of the backup's size (created and waited for
   * here, as Cinder does). The volume goes to `restoring-backup`, the backup to `restoring`.
   */
  async restore(
    ctx: RequestContext,
    backupId: string,
    volumeId: string | null,
    name: string | null,
  ): Promise<RestoreResult> {
    const db = this.#db;
    const backup = await this.get(ctx, backupId);
    authorize(ctx, 'backup:restore', backup.project_id);
    if (backup.status !== 'available') throw new InvalidBackup('Backup status must be available');
    const size = backup.size;
    if (size === null) throw new InvalidBackup('Backup to be restored has invalid size');
    let volume: VolumeRecord;
    if (volumeId === null) {
      const created = await this.volumes.create(ctx, {
        size,
        name: name ?? `restore_backup_${backupId}`,
        description: 'auto-created_from_restore_from_backup',
        volume_type: null,
        metadata: {},
        availability_zone: null,
        snapshot: null,
        source_volume: null,
        image_id: null,
        backup: null,
        group_id: null,
        scheduler_hints: null,
      });
      volume = await this.#waitCreated(created.id);
      if (volume.status === 'error')
        throw new InvalidVolume(`Error while creating volume ${volume.id} for restoring backup ${backupId}.`);
    } else {
      volume = await this.volumes.get(ctx, volumeId);
    }
    if (volume.status !== 'available') throw new InvalidVolume('Volume to be restored to must be available');
    if (size > volume.size)
      throw new InvalidVolume(`volume size ${volume.size} is too small to restore backup of size ${size}.`);
    const host = await this.#hostFor(backup);
    if (
      !(await backupConditionalUpdate(
        db,
        backup.id,
        { host, status: 'restoring', restore_volume_id: volume.id },
        { status: ['available'] },
      ))
    )
      throw new InvalidBackup('Backup status must be available');
    await volumeUpdate(db, volume.id, { status: 'restoring-backup' });
    await this.#rpc.restoreBackup(ctx, host, backup.id, volume.id);
    return { backup_id: backupId, volume_id: volume.id, volume_name: volume.display_name };
  }

  async #waitCreated(id: string): Promise<VolumeRecord> {
    const end = Date.now() + NEW_VOLUME_WAIT_MS;
    for (;;) {
      const v = await volumeGet(this.#db, id);
      if (!v) throw new InvalidVolume(`Error while creating volume ${id}: it is gone.`);
      if (v.status !== 'creating' || Date.now() > end) return v;
      await new Promise((r) => setTimeout(r, NEW_VOLUME_POLL_MS));
    }
  }

  // ---- update / delete ----------------------------------------------------------------------------

  /** `update` (3.9): name, description and (3.43) metadata, which replaces the stored set. */
  async update(
    ctx: RequestContext,
    id: string,
    fields: {
      display_name?: string | null;
      display_description?: string | null;
      metadata?: Record<string, string>;
    },
  ): Promise<BackupRecord> {
    const b = await this.get(ctx, id);
    authorize(ctx, 'backup:update', b.project_id);
    const { metadata, ...columns } = fields;
    if (Object.keys(columns).length) await backupUpdate(this.#db, b.id, columns);
    if (metadata) await backupMetadataUpdate(this.#db, b.id, metadata, true);
    return (await backupGet(this.#db, b.id)) ?? b;
  }

  /**
   * `delete`: `available`/`error` only (any status with `force`, when the driver supports it),
   * never a backup with incrementals on top of it; the backup service does the rest.
   */
  async delete(
    ctx: RequestContext,
    b: BackupRecord,
    opts: { force: boolean } = { force: false },
  ): Promise<void> {
    authorize(ctx, 'backup:delete', b.project_id);
    if (!opts.force && !['available', 'error'].includes(b.status))
      throw new InvalidBackup('Backup status must be available or error');
    if (opts.force) {
      const probe = await this.#hostFor(b);
      if (!(await this.#rpc.checkSupportToForceDelete(ctx, probe)))
        throw new NotSupportedOperation('force delete');
    }
    if ((await backupChildCount(this.#db, b.id)) > 0)
      throw new InvalidBackup('Incremental backups exist for this backup.');
    const host = await this.#hostFor(b);
    const expected = opts.force ? {} : { status: ['available', 'error'] };
    if (!(await backupConditionalUpdate(this.#db, b.id, { status: 'deleting', host }, expected)))
      throw new InvalidBackup('Backup status must be available or error');
    await this.#rpc.deleteBackup(ctx, host, b.id);
  }

  // ---- admin actions ------------------------------------------------------------------------------

  /** `os-reset_status` (admin): the backup service sets it. */
  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    const b = await this.get(ctx, id);
    authorize(ctx, 'volume_extension:backup_admin_actions:reset_status', b.project_id);
    await notifyBackup(this.deps, this.deps.config.DEFAULT.host, b, 'reset_status.start');
    const host = await this.#hostFor(b);
    await backupUpdate(this.#db, b.id, { host });
    await this.#rpc.resetStatus(ctx, host, b.id, status);
  }

  /** `os-force_delete` (admin). */
  async forceDelete(ctx: RequestContext, id: string): Promise<void> {
    const b = await this.get(ctx, id);
    authorize(ctx, 'volume_extension:backup_admin_actions:force_delete', b.project_id);
    await this.delete(ctx, b, { force: true });
  }

  /** `export_record` (admin): the backup service describes where the backup is. */
  async exportRecord(ctx: RequestContext, id: string): Promise<BackupRecordExport> {
    const b = await this.get(ctx, id);
    authorize(ctx, 'backup:export-import', b.project_id);
    if (b.status !== 'available')
      throw new InvalidBackup(`Backup status must be available and not ${b.status}.`);
    const host = await this.#hostFor(b);
    await backupUpdate(this.#db, b.id, { host });
    return this.#rpc.exportRecord(ctx, host, b.id);
  }

  /**
   * `import_record` (admin): a row in `creating` under the record's id (reviving a deleted
   * backup's row), quota reserved and committed, then a backup service reads the record.
   */
  async importRecord(ctx: RequestContext, backupService: string, backupUrl: string): Promise<BackupRecord> {
    authorize(ctx, 'backup:backup-import');
    const hosts = await upBackupHosts(this.#db, this.deps.config.DEFAULT.service_down_time);
    if (hosts.length === 0) throw new BackupServiceNotFound(backupService);
    const backup = await this.#importRow(ctx, backupUrl);
    const first = hosts.pop()!;
    await this.#rpc.importRecord(ctx, first, {
      backup_id: backup.id,
      backup_service: backupService,
      backup_url: backupUrl,
      backup_hosts: hosts,
    });
    return backup;
  }

  async #importRow(ctx: RequestContext, backupUrl: string): Promise<BackupRecord> {
    const db = this.#db;
    const record = decodeRecord(backupUrl);
    if (!('id' in record)) throw new InvalidInput('Provided backup record is missing an id');
    if (!('size' in record)) throw new InvalidInput('Provided backup record is missing size attribute');
    const id = String(record.id);
    const size = Number(record.size ?? 0);
    const existing = await backupGet(db, id, { readDeleted: true });
    if (existing && existing.status !== 'deleted')
      throw new InvalidBackup('Backup already exists in database.');
    const deltas = backupDeltas(size);
    let reservations: string[];
    try {
      reservations = await this.deps.quotas.reserve(ctx.projectId!, deltas);
    } catch (e) {
      if (e instanceof OverQuota) throw backupOverQuotaToError(e, size);
      throw e;
    }
    const values = {
      user_id: ctx.userId,
      project_id: ctx.projectId,
      volume_id: IMPORT_VOLUME_ID,
      status: 'creating',
      size,
    };
    try {
      if (existing) {
        await backupRevive(db, id, values);
        await backupMetadataUpdate(db, id, {}, true);
      } else await backupCreate(db, { id, ...values, metadata: {} });
      await this.deps.quotas.commit(reservations);
    } catch (e) {
      await this.deps.quotas.rollback(reservations);
      throw e;
    }
    return (await backupGet(db, id))!;
  }
}
