/** Backup views (Cinder's `api/views/backups.py` and the v3 ViewBuilder). */
import type { APIVersion } from '../microversion.js';
import { resourceLinks, type LinkBase } from '../common/links.js';
import type { BackupRecord } from '../../db/api/backups.js';
import type { RestoreResult } from '../../backup/api.js';

/** The summary view (`GET /backups` items, create, update, import): id, name, links. */
export function backupSummaryView(b: BackupRecord, links: LinkBase): Record<string, unknown> {
  return { id: b.id, name: b.display_name, links: resourceLinks(links, 'backups', b.id) };
}

/**
 * The detail view (show, detail list): the base fields, `metadata` (3.43+), `encryption_key_id`
 * when set (3.64+), and for callers the `backup_project_attribute` policy lets see them,
 * `os-backup-project-attr:project_id` (3.18+) and `user_id` (3.56+).
 */
export function backupDetailView(
  b: BackupRecord,
  o: { version: APIVersion; links: LinkBase; projectAttributes: boolean },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: b.id,
    status: b.status,
    size: b.size,
    object_count: b.object_count,
    availability_zone: b.availability_zone,
    container: b.container,
    created_at: b.created_at,
    updated_at: b.updated_at,
    name: b.display_name,
    description: b.display_description,
    fail_reason: b.fail_reason,
    volume_id: b.volume_id,
    links: resourceLinks(o.links, 'backups', b.id),
    is_incremental: b.parent_id !== null,
    has_dependent_backups: b.num_dependent_backups > 0,
    snapshot_id: b.snapshot_id,
    data_timestamp: b.data_timestamp,
  };
  if (o.version.gte('3.43')) out.metadata = b.metadata;
  if (o.version.gte('3.64') && b.encryption_key_id) out.encryption_key_id = b.encryption_key_id;
  if (o.projectAttributes && o.version.gte('3.18')) out['os-backup-project-attr:project_id'] = b.project_id;
  if (o.projectAttributes && o.version.gte('3.56')) out.user_id = b.user_id;
  return out;
}

/** `{restore: {backup_id, volume_id, volume_name}}`. */
export function restoreView(r: RestoreResult): Record<string, unknown> {
  return { restore: { backup_id: r.backup_id, volume_id: r.volume_id, volume_name: r.volume_name } };
}

/** `{backup-record: {backup_service, backup_url}}`. */
export function exportView(e: { backup_service: string; backup_url: string }): Record<string, unknown> {
  return { 'backup-record': { backup_service: e.backup_service, backup_url: e.backup_url } };
}
