/**
 * The group type of legacy consistency groups (Cinder's `group_types.DEFAULT_CGSNAPSHOT_TYPE`,
 * seeded by migration 013): the `/consistencygroups` and `/cgsnapshots` APIs make groups and group
 * snapshots of it, the generic `/groups` and `/group_snapshots` APIs refuse to touch them, and a
 * volume service makes none (its backends have no consistency group support).
 */
import type { Db } from '../db/api/common.js';
import { groupIdsOfType, groupTypeGetByName, type GroupTypeRecord } from '../db/api/groups.js';

export const DEFAULT_CGSNAPSHOT_TYPE = 'default_cgsnapshot_type';

/** `get_default_cgsnapshot_type`: the type, or null when it was deleted. */
export function getDefaultCgsnapshotType(db: Db): Promise<GroupTypeRecord | null> {
  return groupTypeGetByName(db, DEFAULT_CGSNAPSHOT_TYPE);
}

/** `is_default_cgsnapshot_type`. */
export async function isDefaultCgsnapshotType(db: Db, groupTypeId: string | null): Promise<boolean> {
  if (!groupTypeId) return false;
  const t = await getDefaultCgsnapshotType(db);
  return t !== null && t.id === groupTypeId;
}

/**
 * Which of `groupIds` are consistency groups (of the default cgsnapshot type): volume views show
 * such a group as the volume's `consistencygroup_id` too, as Cinder's do.
 */
export async function consistencyGroupIds(db: Db, groupIds: Iterable<string | null>): Promise<Set<string>> {
  const ids = [...new Set([...groupIds].filter((id): id is string => !!id))];
  if (ids.length === 0) return new Set();
  const t = await getDefaultCgsnapshotType(db);
  if (!t) return new Set();
  const rows = await groupIdsOfType(db, ids, t.id);
  return new Set(rows.map((r) => r.id));
}
