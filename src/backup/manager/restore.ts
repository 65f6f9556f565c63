/**
 * `restore_backup` (Cinder's `backup/manager.py` `restore_backup`, `_run_restore`): the backup
 * and its parents, full first, written into the volume through a write device from its backend;
 * the volume ends `available` (or `error` when canceled, `error_restoring` when it failed), the
 * backup `available` again.
 */
import { join } from 'node:path';
import type { RequestContext } from '../../common/context.js';
import { BackupRestoreCancel, InvalidBackup } from '../../common/errors.js';
import { backupGet, backupUpdate, type BackupRecord } from '../../db/api/backups.js';
import { volumeGet, volumeMetadataUpdate, volumeUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { isoNow } from '../../common/time.js';
import { Action, Detail, Resource } from '../../message/message-field.js';
import { GiB, type BackupDevice } from '../../volume/driver.js';
import { openDeviceWriter } from '../../volume/device-io.js';
import { mib, ProgressReporter } from '../progress.js';
import { restoreVolumeMeta } from '../volume-meta.js';
import { backupMessage, isOurBackup, notify, type BackupBackend } from './backend.js';

/** `restore_backup`: writes the backup (and its parents) into the volume. */
export async function restoreBackup(
  svc: BackupBackend,
  ctx: RequestContext,
  backupId: string,
  volumeId: string,
): Promise<void> {
  const db = svc.deps.dbh.db;
  const backup = await backupGet(db, backupId);
  const volume = await volumeGet(db, volumeId);
  if (!backup || backup.status !== 'restoring' || !volume) {
    svc.deps.log.info(
      { backup_id: backupId, volume_id: volumeId, status: backup?.status },
      'restore_backup: nothing to do',
    );
    return;
  }
  svc.deps.log.info({ backup_id: backupId, volume_id: volumeId }, 'Restore backup started');
  await notify(svc, backup, 'restore.start');
  const wasCreating = volume.status === 'creating';
  const failedStatus = wasCreating ? 'error' : 'error_restoring';
  if (volume.status !== 'restoring-backup' && !wasCreating) {
    await backupUpdate(db, backupId, { status: 'available' });
    await volumeUpdate(db, volumeId, { status: 'error_restoring' });
    await svc.deps.messages.create(ctx, Action.BACKUP_RESTORE, {
      resourceType: Resource.VOLUME_BACKUP,
      resourceUuid: volume.id,
      projectId: backup.project_id,
      detail: Detail.VOLUME_INVALID_STATE,
    });
    svc.deps.log.warn(
      { backup_id: backupId },
      `Restore backup aborted, expected volume status restoring-backup,creating but got ${volume.status}.`,
    );
    return;
  }
  if (!isOurBackup(svc, backup.service)) {
    await backupUpdate(db, backupId, { status: 'available' });
    await volumeUpdate(db, volumeId, { status: 'error' });
    svc.deps.log.warn(
      { backup_id: backupId },
      `Restore backup aborted, the backup service currently configured [${svc.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
    );
    return;
  }
  let canceled = false;
  try {
    await runRestore(svc, ctx, backup, volume);
  } catch (err) {
    if (err instanceof BackupRestoreCancel) canceled = true;
    else {
      svc.deps.log.warn({ backup_id: backupId, volume_id: volumeId, err }, 'Restore backup failed');
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
  svc.deps.log.info(
    { backup_id: backupId, volume_id: volumeId },
    `${canceled ? 'Canceled' : 'Finished'} restoring backup.`,
  );
  await notify(svc, (await backupGet(db, backupId)) ?? backup, 'restore.end');
}

async function runRestore(
  svc: BackupBackend,
  ctx: RequestContext,
  backup: BackupRecord,
  volume: VolumeRecord,
): Promise<void> {
  const placement = { host: volume.host!, cluster_name: volume.cluster_name };
  const chain = await backupChain(svc, backup);
  let device: BackupDevice;
  try {
    device = await svc.volumeRpc.getBackupDevice(ctx, placement, {
      volume_id: volume.id,
      snapshot_id: null,
      mode: 'write',
    });
  } catch (e) {
    await backupMessage(svc, ctx, Action.BACKUP_RESTORE, backup, Detail.ATTACH_ERROR);
    throw e;
  }
  try {
    const targetBytes = volume.size * GiB;
    const writer = await openDeviceWriter(device, targetBytes, join(svc.opts.backup_posix_path, '.tmp'));
    let volumeMeta: string | null;
    let progress: ProgressReporter | null = null;
    try {
      volumeMeta = await svc.driver.restore(chain, writer, {
        targetBytes,
        isCanceled: async () => (await backupGet(svc.deps.dbh.db, backup.id))?.status !== 'restoring',
        onProgress: (p) => {
          progress ??= restoreProgress(svc, backup, volume.id, p.totalBytes);
          progress.update(p.bytes, p.objects, p.objects);
        },
      });
      await (progress as ProgressReporter | null)?.finish();
    } catch (e) {
      await (progress as ProgressReporter | null)?.stop();
      await writer.abort();
      if (!(e instanceof BackupRestoreCancel))
        await backupMessage(svc, ctx, Action.BACKUP_RESTORE, backup, Detail.BACKUP_RESTORE_ERROR);
      throw e;
    }
    try {
      await writer.close();
      if (volumeMeta) await restoreVolumeMeta(svc.deps.dbh.db, volume.id, volumeMeta);
    } catch (e) {
      await backupMessage(svc, ctx, Action.BACKUP_RESTORE, backup, Detail.BACKUP_RESTORE_ERROR);
      throw e;
    }
  } finally {
    await svc.volumeRpc
      .closeBackupDevice(ctx, placement, { volume_id: volume.id, device })
      .catch((e: unknown) =>
        svc.deps.log.warn({ err: e, volume_id: volume.id }, 'close_backup_device failed'),
      );
  }
}

/** The chain a restore applies: the full backup first, then each incremental up to `b`. */
async function backupChain(svc: BackupBackend, b: BackupRecord): Promise<BackupRecord[]> {
  const chain = [b];
  for (let cur = b; cur.parent_id;) {
    const parent = await backupGet(svc.deps.dbh.db, cur.parent_id);
    if (!parent) throw new InvalidBackup(`Parent backup ${cur.parent_id} of backup ${cur.id} is missing`);
    chain.unshift(parent);
    cur = parent;
  }
  return chain;
}

/**
 * A restore's progress: Kindling's `backup.restoreprogress` notifications (Cinder sends none
 * for restores) with the backup's usage plus `restore_percent`, `object_count` (objects
 * restored) and `restore_volume_id`, at the same cadence as a backup's; INFO lines in between.
 */
function restoreProgress(
  svc: BackupBackend,
  backup: BackupRecord,
  volumeId: string,
  totalBytes: number,
): ProgressReporter {
  const log = svc.deps.log.child({ backup_id: backup.id, volume_id: volumeId });
  return new ProgressReporter({
    total: totalBytes,
    perNotification: svc.opts.backup_object_number_per_notification,
    timerSeconds: svc.opts.backup_enable_progress_timer ? svc.opts.backup_timer_interval : null,
    logSeconds: svc.deps.config.DEFAULT.progress_log_interval,
    notify: async (s) => {
      await notify(svc, backup, 'restoreprogress', {
        restore_percent: s.percent,
        object_count: s.objects,
        restore_volume_id: volumeId,
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
        `Restore of backup ${backup.id} into volume ${volumeId}: ${mib(s.done)} of ${mib(s.total)} MiB written (${s.percent}%), ${s.objects} objects, ${mib(rate)} MiB/s`,
      ),
    onError: (err) => log.warn({ err }, 'restore progress notification failed'),
  });
}
