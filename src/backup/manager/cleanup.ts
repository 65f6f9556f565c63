/**
 * The backup service's start-up cleanup (Cinder's `backup/manager.py`
 * `_cleanup_incomplete_backup_operations`).
 */
import { adminContext } from '../../common/context.js';
import { backupsOnHost, backupUpdate } from '../../db/api/backups.js';
import { snapshotGet, snapshotUpdate } from '../../db/api/snapshots.js';
import { volumeGet, volumeUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { setBackupError, type BackupBackend } from './backend.js';
import { deleteBackup } from './delete.js';

/**
 * `_cleanup_incomplete_backup_operations`: what this host left half-done when it stopped. A
 * backup being created goes to `error` (its volume back to its previous status, a snapshot back
 * to `available`); a restore is given up (backup `available`, the volume `error_restoring`, or
 * `error` when it was a new volume still `creating`); a delete is run again.
 */
export async function cleanup(svc: BackupBackend): Promise<{ backupId: string; was: string }[]> {
  const db = svc.deps.dbh.db;
  const done: { backupId: string; was: string }[] = [];
  const ctx = adminContext();
  for (const b of await backupsOnHost(db, svc.host)) {
    try {
      if (b.status === 'creating') {
        const v = await volumeGet(db, b.volume_id);
        if (v) await cleanupVolume(svc, v);
        if (b.snapshot_id) {
          const s = await snapshotGet(db, b.snapshot_id);
          if (s?.status === 'backing-up') await snapshotUpdate(db, s.id, { status: 'available' });
        }
        await setBackupError(svc, b.id, new Error('incomplete backup reset on manager restart'));
      } else if (b.status === 'restoring') {
        const v = b.restore_volume_id ? await volumeGet(db, b.restore_volume_id) : null;
        if (v) await cleanupVolume(svc, v);
        await backupUpdate(db, b.id, { status: 'available' });
      } else if (b.status === 'deleting') {
        await deleteBackup(svc, ctx, b.id);
      } else continue;
      done.push({ backupId: b.id, was: b.status });
    } catch (e) {
      svc.deps.log.error({ err: e, backup_id: b.id }, 'Problem cleaning up backup');
    }
  }
  if (done.length)
    svc.deps.log.info({ host: svc.host, cleaned: done }, 'Cleaned up incomplete backup operations');
  return done;
}

async function cleanupVolume(svc: BackupBackend, v: VolumeRecord): Promise<void> {
  if (v.status === 'backing-up')
    await volumeUpdate(svc.deps.dbh.db, v.id, { status: v.previous_status ?? 'available' });
  else if (v.status === 'restoring-backup')
    await volumeUpdate(svc.deps.dbh.db, v.id, { status: 'error_restoring' });
  else if (v.status === 'creating' && v.backup_id)
    await volumeUpdate(svc.deps.dbh.db, v.id, { status: 'error' });
}
