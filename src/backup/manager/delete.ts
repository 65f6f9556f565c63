/**
 * `delete_backup` (Cinder's `backup/manager.py` `delete_backup`): the driver removes the stored
 * data, the quota is given back with the row soft-deleted, the parent counts one dependent less.
 */
import type { RequestContext } from '../../common/context.js';
import { InvalidBackup } from '../../common/errors.js';
import { backupGet } from '../../db/api/backups.js';
import { Action, Detail } from '../../message/message-field.js';
import { destroyBackupReleasingQuota } from '../destroy.js';
import { backupMessage, isOurBackup, notify, setBackupError, type BackupBackend } from './backend.js';

/** `delete_backup`: removes the stored data, gives the quota back, soft-deletes the row. */
export async function deleteBackup(svc: BackupBackend, ctx: RequestContext, backupId: string): Promise<void> {
  const db = svc.deps.dbh.db;
  const backup = await backupGet(db, backupId);
  if (!backup || backup.status !== 'deleting') {
    svc.deps.log.info({ backup_id: backupId, status: backup?.status }, 'delete_backup: nothing to do');
    return;
  }
  svc.deps.log.info({ backup_id: backupId }, 'Delete backup started');
  await notify(svc, backup, 'delete.start');
  if (backup.service && !svc.initialized()) {
    await setBackupError(
      svc,
      backupId,
      new InvalidBackup('Delete backup is aborted due to backup service is down.'),
      'error_deleting',
    );
    await backupMessage(svc, ctx, Action.BACKUP_DELETE, backup, Detail.BACKUP_SERVICE_DOWN);
    return;
  }
  if (!isOurBackup(svc, backup.service)) {
    await setBackupError(
      svc,
      backupId,
      new InvalidBackup(
        `Delete backup aborted, the backup service currently configured [${svc.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
      ),
    );
    return;
  }
  if (backup.service) {
    try {
      await svc.driver.deleteBackup(backup);
    } catch (err) {
      svc.deps.log.warn({ backup_id: backupId, err }, 'Delete backup failed');
      await setBackupError(svc, backupId, err);
      await backupMessage(svc, ctx, Action.BACKUP_DELETE, backup, Detail.BACKUP_DELETE_DRIVER_ERROR);
      return;
    }
  }
  // NOTE: the parent counts one dependent less in the same transaction (src/backup/destroy.ts).
  await destroyBackupReleasingQuota(svc.deps, backup);
  svc.deps.log.info({ backup_id: backupId }, 'Delete backup finished, backup deleted.');
  await notify(svc, { ...backup, status: 'deleted', deleted: 1 }, 'delete.end');
}
