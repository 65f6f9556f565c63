/**
 * Backup records and statuses (Cinder's `backup/manager.py` `export_record`, `import_record`,
 * `reset_status`): the record another deployment imports a backup from, its import here (or on
 * the next host whose driver made it), and the admin's status reset.
 */
import type { RequestContext } from '../../common/context.js';
import { InvalidBackup } from '../../common/errors.js';
import { backupGet, backupMetadataUpdate, backupUpdate } from '../../db/api/backups.js';
import type { DriverBackup } from '../driver.js';
import { decodeRecord, encodeRecord, importedColumns } from '../record.js';
import type { BackupRecordExport } from '../rpcapi.js';
import { failReason, isOurBackup, notify, setBackupError, type BackupBackend } from './backend.js';

/** `export_record`: the record to import this backup elsewhere. */
export async function exportRecord(
  svc: BackupBackend,
  _ctx: RequestContext,
  backupId: string,
): Promise<BackupRecordExport> {
  const backup = await backupGet(svc.deps.dbh.db, backupId);
  const actual = backup?.status ?? 'deleted';
  if (!backup || actual !== 'available')
    throw new InvalidBackup(`Export backup aborted, expected backup status available but got ${actual}.`);
  if (!isOurBackup(svc, backup.service))
    throw new InvalidBackup(
      `Export record aborted, the backup service currently configured [${svc.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
    );
  return {
    backup_service: backup.service ?? svc.driver.name,
    backup_url: encodeRecord(backup, svc.driver.exportRecord(backup)),
  };
}

/**
 * `import_record`: checks the record's data is reachable by this driver and fills the row the
 * API made (`creating`) from it; another host's driver is tried when this one is not the
 * record's, and the row goes to `error` when no host can.
 */
export async function importRecord(
  svc: BackupBackend,
  ctx: RequestContext,
  a: { backup_id: string; backup_service: string; backup_url: string; backup_hosts: string[] },
): Promise<void> {
  const db = svc.deps.dbh.db;
  if (!isOurBackup(svc, a.backup_service)) {
    const next = a.backup_hosts.pop();
    if (next !== undefined) {
      await svc.backupRpc.importRecord(ctx, next, { ...a, backup_hosts: a.backup_hosts });
      return;
    }
    await setBackupError(
      svc,
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
    await svc.driver.importRecord(probe, driverInfo);
  } catch (err) {
    await setBackupError(svc, a.backup_id, new InvalidBackup(failReason(err)));
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
    await setBackupError(
      svc,
      a.backup_id,
      new InvalidBackup(
        `Driver successfully decoded imported backup data, but there are missing fields (${missing.join(', ')}).`,
      ),
    );
    return;
  }
  if (options.id !== backup.id) {
    await setBackupError(
      svc,
      a.backup_id,
      new InvalidBackup(
        `Trying to import backup metadata from id ${String(options.id)} into backup ${backup.id}.`,
      ),
    );
    return;
  }
  await backupUpdate(db, backup.id, {
    ...importedColumns(options),
    service: svc.driver.name,
    availability_zone: svc.availabilityZone,
    host: svc.host,
    status: 'available',
  });
  const meta = options.metadata;
  if (meta && typeof meta === 'object' && !Array.isArray(meta))
    await backupMetadataUpdate(db, backup.id, meta as Record<string, string>, true);
  svc.deps.log.info({ backup_id: backup.id }, 'Import record metadata from driver finished.');
}

/** `reset_status` (admin): sets the status of a backup this driver made. */
export async function resetStatus(
  svc: BackupBackend,
  _ctx: RequestContext,
  backupId: string,
  status: string,
): Promise<void> {
  const backup = await backupGet(svc.deps.dbh.db, backupId);
  if (!backup) return;
  if (!isOurBackup(svc, backup.service)) {
    svc.deps.log.warn(
      { backup_id: backupId },
      `Reset backup status aborted, the backup service currently configured [${svc.driver.name}] is not the backup service that was used to create this backup [${backup.service}].`,
    );
    return;
  }
  // NOTE: as Cinder: a backup no driver ever worked on keeps its status.
  if (backup.service === null) return;
  await backupUpdate(svc.deps.dbh.db, backupId, { status });
  await notify(svc, { ...backup, status }, 'reset_status.end');
}
