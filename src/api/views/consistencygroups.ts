/**
 * Legacy consistency group and cgsnapshot views (Cinder's `api/views/consistencygroups.py` and
 * `cgsnapshots.py`), built from the generic groups and group snapshots they are in Cinder Zed.
 */
import type { GroupRecord, GroupSnapshotRecord } from '../../db/api/groups.js';

/** `{id, name}`: create answers and the summary list. */
export function consistencyGroupSummaryView(g: GroupRecord): Record<string, unknown> {
  return { id: g.id, name: g.name };
}

/** The detail view: the group's volume type ids as `volume_types`. */
export function consistencyGroupDetailView(g: GroupRecord): Record<string, unknown> {
  return {
    id: g.id,
    status: g.status,
    availability_zone: g.availability_zone,
    created_at: g.created_at,
    name: g.name,
    description: g.description,
    volume_types: g.volume_type_ids.filter((id) => id),
  };
}

/** `{id, name}`: create answers and the summary list. */
export function cgsnapshotSummaryView(s: GroupSnapshotRecord): Record<string, unknown> {
  return { id: s.id, name: s.name };
}

/** The detail view: the group snapshot's group as `consistencygroup_id`. */
export function cgsnapshotDetailView(s: GroupSnapshotRecord): Record<string, unknown> {
  return {
    id: s.id,
    consistencygroup_id: s.group_id,
    status: s.status,
    created_at: s.created_at,
    name: s.name,
    description: s.description,
  };
}
