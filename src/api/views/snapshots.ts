/** Snapshot views (Cinder's `api/views/snapshots.py` and the v3 ViewBuilder). */
import type { APIVersion } from '../microversion.js';
import type { SnapshotRecord } from '../../db/api/snapshots.js';

/** The summary view: the base fields every answer has (`GET /snapshots` items). */
export function snapshotSummaryView(s: SnapshotRecord): Record<string, unknown> {
  return {
    id: s.id,
    created_at: s.created_at,
    updated_at: s.updated_at,
    name: s.display_name,
    description: s.display_description,
    volume_id: s.volume_id,
    status: s.status,
    size: s.volume_size,
    metadata: s.metadata,
  };
}

/**
 * The detail view (show, detail list, create, update): the summary plus `group_snapshot_id`
 * (3.14+), `user_id` (3.41+) and `consumes_quota` (3.65+). `extended` (show and detail list, for
 * callers the `extended_snapshot_attributes` policy lets see them) adds
 * `os-extended-snapshot-attributes:project_id` and `:progress`.
 */
export function snapshotDetailView(
  s: SnapshotRecord,
  o: { version: APIVersion; extended: boolean },
): Record<string, unknown> {
  const out = snapshotSummaryView(s);
  if (o.version.gte('3.14')) out.group_snapshot_id = s.group_snapshot_id ?? null;
  if (o.version.gte('3.41')) out.user_id = s.user_id;
  if (o.version.gte('3.65')) out.consumes_quota = s.use_quota === 1;
  if (o.extended) {
    out['os-extended-snapshot-attributes:project_id'] = s.project_id;
    out['os-extended-snapshot-attributes:progress'] = s.progress;
  }
  return out;
}
