import type { CoreDeps } from '../common/deps.js';
import type { BackupRecord } from '../db/api/backups.js';

/** The payload of `backup.*` notifications (Cinder's `_usage_from_backup`). */
export function backupUsagePayload(
  b: BackupRecord,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    tenant_id: b.project_id,
    user_id: b.user_id,
    availability_zone: b.availability_zone,
    backup_id: b.id,
    host: b.host,
    display_name: b.display_name,
    created_at: b.created_at,
    status: b.status,
    volume_id: b.volume_id,
    size: b.size,
    service_metadata: b.service_metadata,
    service: b.service,
    fail_reason: b.fail_reason,
    parent_id: b.parent_id,
    num_dependent_backups: b.num_dependent_backups,
    snapshot_id: b.snapshot_id,
    ...extra,
  };
}

/** Emits `backup.<event>` from `backup.<host>` (`notify_about_backup_usage`). */
export async function notifyBackup(
  deps: CoreDeps,
  host: string,
  b: BackupRecord,
  event: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await deps.notifier.notify(`backup.${host}`, `backup.${event}`, backupUsagePayload(b, extra));
}
