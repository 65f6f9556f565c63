/**
 * `create_backup` (Cinder's `backup/manager.py` `create_backup`, `_start_backup`,
 * `_finish_backup`): the backup service asks the volume's backend for a read device
 * (`get_backup_device`), opens it and has its driver store the data, reporting progress; the
 * source goes back to its status and the backup to `available`, unless it was deleted meanwhile.
 */
import type { RequestContext } from '../../common/context.js';
import { InvalidBackup, InvalidSnapshot, InvalidVolume } from '../../common/errors.js';
import { backupAdjustDependents, backupGet, backupUpdate, type BackupRecord } from '../../db/api/backups.js';
import { snapshotGet, snapshotUpdate } from '../../db/api/snapshots.js';
import { volumeGet, volumeUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { Action, Detail } from '../../message/message-field.js';
import { GiB, type BackupDevice } from '../../volume/driver.js';
import { openDeviceReader } from '../../volume/device-io.js';
import { mib, ProgressReporter } from '../progress.js';
import { backupVolumeMeta } from '../volume-meta.js';
import { backupMessage, deletedMeanwhile, notify, setBackupError, type BackupBackend } from './backend.js';

/** `create_backup`: reads the volume (or snapshot) through its backend's device and stores it. */
export async function createBackup(svc: BackupBackend, ctx: RequestContext, backupId: string): Promise<void> {
  const db = svc.deps.dbh.db;
  const backup = await backupGet(db, backupId);
  if (!backup || backup.status !== 'creating') {
    svc.deps.log.info({ backup_id: backupId, status: backup?.status }, 'create_backup: nothing to do');
    return;
  }
  const volume = await volumeGet(db, backup.volume_id);
  const snapshot = backup.snapshot_id ? await snapshotGet(db, backup.snapshot_id) : null;
  svc.deps.log.info(
    { backup_id: backupId, volume_id: backup.volume_id, snapshot_id: backup.snapshot_id },
    'Create backup started',
  );
  await notify(svc, backup, 'create.start');

  const expected = 'backing-up';
  if (backup.snapshot_id) {
    const actual = snapshot?.status ?? 'deleted';
    if (actual !== expected) {
      await setBackupError(
        svc,
        backupId,
        new InvalidSnapshot(`Create backup aborted, expected snapshot status ${expected} but got ${actual}.`),
      );
      return;
    }
  } else {
    const actual = volume?.status ?? 'deleted';
    if (actual !== expected) {
      await setBackupError(
        svc,
        backupId,
        new InvalidVolume(`Create backup aborted, expected volume status ${expected} but got ${actual}.`),
      );
      return;
    }
  }
  const previousStatus = volume?.previous_status ?? 'available';
  let updates: { container: string; service_metadata: string; object_count: number } | null;
  try {
    if (!svc.initialized()) {
      await backupMessage(svc, ctx, Action.BACKUP_CREATE, backup, Detail.BACKUP_SERVICE_DOWN);
      throw new InvalidBackup('Create backup aborted due to backup service is down.');
    }
    await backupUpdate(db, backupId, { service: svc.driver.name });
    updates = await runBackup(svc, ctx, backup, volume!, snapshot?.volume_size ?? volume!.size);
  } catch (err) {
    svc.deps.log.warn({ backup_id: backupId, err }, 'Create backup failed');
    if (backup.snapshot_id) await snapshotUpdate(db, backup.snapshot_id, { status: 'available' });
    else if (volume)
      await volumeUpdate(db, volume.id, { status: previousStatus, previous_status: 'error_backing-up' });
    await setBackupError(svc, backupId, err);
    return;
  }
  await finishBackup(svc, backup, volume!, previousStatus, updates);
}

/** Gets the device from the volume service, opens it and has the driver store it. */
async function runBackup(
  svc: BackupBackend,
  ctx: RequestContext,
  backup: BackupRecord,
  volume: VolumeRecord,
  sizeGb: number,
) {
  const placement = { host: volume.host!, cluster_name: volume.cluster_name };
  let device: BackupDevice;
  try {
    device = await svc.volumeRpc.getBackupDevice(ctx, placement, {
      volume_id: volume.id,
      snapshot_id: backup.snapshot_id,
      mode: 'read',
    });
  } catch (e) {
    await backupMessage(svc, ctx, Action.BACKUP_CREATE, backup, Detail.BACKUP_CREATE_DEVICE_ERROR);
    throw e;
  }
  try {
    let reader;
    try {
      reader = await openDeviceReader(device, sizeGb * GiB);
    } catch (e) {
      await backupMessage(svc, ctx, Action.BACKUP_CREATE, backup, Detail.ATTACH_ERROR);
      throw e;
    }
    const progress = backupProgress(svc, backup, sizeGb * GiB);
    try {
      const parent = backup.parent_id ? await backupGet(svc.deps.dbh.db, backup.parent_id) : null;
      if (backup.parent_id && !parent)
        throw new InvalidBackup(`Parent backup ${backup.parent_id} is missing`);
      const chunk = svc.opts.backup_file_size;
      const updates = await svc.driver.backup(backup, reader, {
        volumeSizeBytes: sizeGb * GiB,
        parent,
        volumeMeta: backupVolumeMeta(volume),
        onPrepared: async (u) => {
          await backupUpdate(svc.deps.dbh.db, backup.id, u);
        },
        isCanceled: () => deletedMeanwhile(svc, backup.id),
        onProgress: (p) => progress.update(p.bytesRead, Math.floor(p.bytesRead / chunk), p.objects),
      });
      // Cinder's `_send_progress_end`: 100 % once the data is stored (not for a canceled run).
      if (updates) await progress.finish(updates.object_count);
      return updates;
    } catch (e) {
      await backupMessage(svc, ctx, Action.BACKUP_CREATE, backup, Detail.BACKUP_CREATE_DRIVER_ERROR);
      throw e;
    } finally {
      await progress.stop();
      await reader.close();
    }
  } finally {
    await svc.volumeRpc
      .closeBackupDevice(ctx, placement, { volume_id: volume.id, device })
      .catch((e: unknown) =>
        svc.deps.log.warn({ err: e, volume_id: volume.id }, 'close_backup_device failed'),
      );
  }
}

/** `_finish_backup`: the source back to its status, the backup `available` (unless deleted meanwhile). */
async function finishBackup(
  svc: BackupBackend,
  backup: BackupRecord,
  volume: VolumeRecord,
  previousStatus: string,
  updates: { container: string; service_metadata: string; object_count: number } | null,
): Promise<void> {
  const db = svc.deps.dbh.db;
  if (backup.snapshot_id) await snapshotUpdate(db, backup.snapshot_id, { status: 'available' });
  else await volumeUpdate(db, volume.id, { status: previousStatus, previous_status: 'backing-up' });
  const now = (await backupGet(db, backup.id, { readDeleted: true })) ?? backup;
  let outcome = 'finished';
  if (!updates || now.deleted || now.status === 'deleting' || now.status === 'deleted') outcome = 'aborted';
  else {
    // NOTE: Cinder saves the backup, then the parent's count: between the two the parent could be
    // deleted under its new incremental. One transaction here, the count raised in SQL.
    const parentId = backup.parent_id;
    await db.transaction().execute(async (trx) => {
      await backupUpdate(trx, backup.id, { status: 'available', size: volume.size, ...updates });
      if (parentId) await backupAdjustDependents(trx, parentId, 1);
    });
  }
  svc.deps.log.info({ backup_id: backup.id }, `Create backup ${outcome}.`);
  await notify(svc, (await backupGet(db, backup.id, { readDeleted: true })) ?? now, 'create.end');
}

/**
 * A backup's progress (src/backup/progress.ts): `backup.createprogress` notifications with
 * Cinder's payload (the backup's usage plus the object meta `id`, `prefix` and `backup_percent`;
 * Kindling adds `object_count`), each after writing the objects stored so far into the row's
 * `object_count`, so the record moves during the backup; INFO lines in between.
 */
function backupProgress(svc: BackupBackend, backup: BackupRecord, totalBytes: number): ProgressReporter {
  const db = svc.deps.dbh.db;
  const log = svc.deps.log.child({ backup_id: backup.id, volume_id: backup.volume_id });
  return new ProgressReporter({
    total: totalBytes,
    perNotification: svc.opts.backup_object_number_per_notification,
    timerSeconds: svc.opts.backup_enable_progress_timer ? svc.opts.backup_timer_interval : null,
    logSeconds: svc.deps.config.DEFAULT.progress_log_interval,
    notify: async (s) => {
      await backupUpdate(db, backup.id, { object_count: s.objects });
      const row = (await backupGet(db, backup.id, { readDeleted: true })) ?? backup;
      // NOTE: object_count as the row has it now: what GET /backups/{id} shows at this moment.
      await notify(svc, row, 'createprogress', {
        id: s.objects + 1,
        prefix: row.service_metadata,
        backup_percent: s.percent,
        object_count: row.object_count,
      });
    },
    log: (s, rate) =>
      log.info(
        {
          done_bytes: s.done,
          total_bytes: s.total,
          percent: s.percent,
          objects: s.objects,
          bytes_per_s: Math.round(rate),
        },
        `Backup ${backup.id}: ${mib(s.done)} of ${mib(s.total)} MiB read (${s.percent}%), ${s.objects} objects stored, ${mib(rate)} MiB/s`,
      ),
    onError: (err) => log.warn({ err }, 'backup progress notification failed'),
  });
}
