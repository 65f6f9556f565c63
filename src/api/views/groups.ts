/**
 * Generic volume group views (Cinder's `api/v3/views/group_types.py`, `groups.py` and
 * `group_snapshots.py`).
 */
import type { RequestContext } from '../../common/context.js';
import { isAllowed } from '../../auth/policy.js';
import type { GroupRecord, GroupSnapshotRecord, GroupTypeRecord } from '../../db/api/groups.js';
import type { APIVersion } from '../microversion.js';

/** A group type; its specs only for callers allowed `group:access_group_types_specs`. */
export function groupTypeView(ctx: RequestContext, t: GroupTypeRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.is_public === 1,
  };
  if (isAllowed(ctx, 'group:access_group_types_specs')) out.group_specs = { ...t.group_specs };
  return out;
}

/** `{id, name}` (create answers and the summary list). */
export function groupSummaryView(g: GroupRecord): Record<string, unknown> {
  return { id: g.id, name: g.name };
}

/** The detail view, per microversion: `volumes` only when asked (`list_volume`, 3.25+). */
export function groupDetailView(
  ctx: RequestContext,
  version: APIVersion,
  g: GroupRecord,
  volumeIds: readonly string[] | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: g.id,
    status: g.status,
    availability_zone: g.availability_zone,
    created_at: g.created_at,
    name: g.name,
    description: g.description,
    group_type: g.group_type_id,
    volume_types: [...g.volume_type_ids],
  };
  if (version.gte('3.14')) {
    out.group_snapshot_id = g.group_snapshot_id;
    out.source_group_id = g.source_group_id;
  }
  if (version.gte('3.25') && volumeIds) out.volumes = [...volumeIds];
  if (version.gte('3.38')) out.replication_status = g.replication_status;
  if (version.gte('3.58') && isAllowed(ctx, 'group:group_project_attribute')) out.project_id = g.project_id;
  return out;
}

/** `{id, name, group_type_id}` (create answers; lists drop `group_type_id`). */
export function groupSnapshotSummaryView(s: GroupSnapshotRecord): Record<string, unknown> {
  return { id: s.id, name: s.name, group_type_id: s.group_type_id };
}

export function groupSnapshotDetailView(
  ctx: RequestContext,
  version: APIVersion,
  s: GroupSnapshotRecord,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: s.id,
    group_id: s.group_id,
    group_type_id: s.group_type_id,
    status: s.status,
    created_at: s.created_at,
    name: s.name,
    description: s.description,
  };
  if (version.gte('3.58') && isAllowed(ctx, 'group:group_snapshot_project_attribute'))
    out.project_id = s.project_id;
  return out;
}
