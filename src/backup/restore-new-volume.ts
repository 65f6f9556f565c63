/**
 * The backup half of create-volume-from-backup (Cinder's `_create_from_backup` when the driver has
 * no `create_volume_from_backup`, which no Kindling driver has): the volume service has made the
 * raw volume; the backup goes to `restoring` towards it and a backup service is asked to restore.
 * That service sets the volume `available` (or `error`) when it is done.
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { BackupNotFound, InvalidBackup } from '../common/errors.js';
import { backupConditionalUpdate, backupGet } from '../db/api/backups.js';
import { availableBackupHost } from './hosts.js';
import { backupOptions } from './options.js';
import { BackupRPCAPI } from './rpcapi.js';

export async function restoreBackupIntoNewVolume(
  deps: CoreDeps,
  ctx: RequestContext,
  backupId: string,
  volumeId: string,
): Promise<void> {
  const db = deps.dbh.db;
  const backup = await backupGet(db, backupId);
  if (!backup) throw new BackupNotFound(backupId);
  // NOTE: a resumed create (restart, stuck-operation sweep) finds the restore already handed over.
  if (backup.status === 'restoring' && backup.restore_volume_id === volumeId) return;
  const host = await availableBackupHost(db, {
    host: backup.host,
    az: backup.availability_zone,
    sameHost: backupOptions(deps.config).backup_use_same_host,
    downTime: deps.config.DEFAULT.service_down_time,
  });
  const taken = await backupConditionalUpdate(
    db,
    backupId,
    { status: 'restoring', restore_volume_id: volumeId, host },
    { status: ['available'] },
  );
  if (!taken) throw new InvalidBackup(`Backup status must be available, not ${backup.status}`);
  await new BackupRPCAPI(deps.transport).restoreBackup(ctx, host, backupId, volumeId);
}
