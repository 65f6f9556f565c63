import { pythonRepr } from '../common/strutils.js';
import type { SnapshotRecord } from '../db/api/snapshots.js';

/**
 * The payload of `snapshot.*` notifications (Cinder's `_usage_from_snapshot`). `deleted` and
 * `metadata` are Python `str()` values, empty when falsy, as Cinder's `null_safe_str` gives them.
 */
export function snapshotUsagePayload(
  s: SnapshotRecord,
  volume: { availability_zone: string | null } | null,
): Record<string, unknown> {
  return {
    tenant_id: s.project_id,
    user_id: s.user_id,
    availability_zone: volume?.availability_zone ?? null,
    volume_id: s.volume_id,
    volume_size: s.volume_size,
    snapshot_id: s.id,
    display_name: s.display_name,
    created_at: s.created_at,
    status: s.status,
    deleted: s.deleted ? 'True' : '',
    metadata: Object.keys(s.metadata).length ? pythonRepr(s.metadata) : '',
  };
}
