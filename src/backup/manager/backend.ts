/**
 * What the backup service's operations (create, restore, delete, records, cleanup, in this
 * directory) borrow from the running service (src/backup/manager.ts), and the helpers they share:
 * user messages, `update_backup_error`, Cinder's `_is_our_backup`, notifications.
 */
import type { RequestContext } from '../../common/context.js';
import type { CoreDeps } from '../../common/deps.js';
import { backupGet, backupUpdate, type BackupRecord } from '../../db/api/backups.js';
import { Resource, type MessageAction, type MessageDetail } from '../../message/message-field.js';
import type { VolumeRPCAPI } from '../../volume/rpcapi.js';
import type { BackupDriver } from '../driver.js';
import type { BackupOptions } from '../options.js';
import type { BackupRPCAPI } from '../rpcapi.js';
import { notifyBackup } from '../usage.js';

/** The backup service an operation runs on (`cinder-backup.<host>`). */
export interface BackupBackend {
  readonly deps: CoreDeps;
  /** `[DEFAULT] host`: the service's host and queue name. */
  readonly host: string;
  readonly availabilityZone: string;
  readonly driver: BackupDriver;
  readonly opts: BackupOptions;
  readonly volumeRpc: VolumeRPCAPI;
  readonly backupRpc: BackupRPCAPI;
  /** Cinder's `is_working`: the driver passed its setup check. */
  initialized(): boolean;
}

/** `fail_reason` is a varchar(255). */
export function failReason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 255);
}

/** A user message about backup `b`. */
export async function backupMessage(
  svc: BackupBackend,
  ctx: RequestContext,
  action: MessageAction,
  b: { id: string; project_id: string | null },
  detail: MessageDetail,
): Promise<void> {
  await svc.deps.messages.create(ctx, action, {
    resourceType: Resource.VOLUME_BACKUP,
    resourceUuid: b.id,
    projectId: b.project_id,
    detail,
  });
}

/** `update_backup_error`. */
export async function setBackupError(
  svc: BackupBackend,
  id: string,
  err: unknown,
  status = 'error',
): Promise<void> {
  await backupUpdate(svc.deps.dbh.db, id, { status, fail_reason: failReason(err) });
}

/** Cinder's `_is_our_backup`: made by this driver (or by no driver yet). */
export function isOurBackup(svc: BackupBackend, service: string | null): boolean {
  return !service || svc.driver.name.startsWith(service);
}

/** A `backup.<event>` notification from this service. */
export function notify(
  svc: BackupBackend,
  b: BackupRecord,
  event: string,
  extra?: Record<string, unknown>,
): Promise<void> {
  return notifyBackup(svc.deps, svc.host, b, event, extra);
}

/** True when the backup was deleted (or is being deleted) under a running backup. */
export async function deletedMeanwhile(svc: BackupBackend, id: string): Promise<boolean> {
  const now = await backupGet(svc.deps.dbh.db, id, { readDeleted: true });
  return !now || now.deleted === 1 || now.status === 'deleting' || now.status === 'deleted';
}
