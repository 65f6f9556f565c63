/**
 * The volumes a group update adds and removes (Cinder's `group/api.py` `_validate_add_volumes`
 * and `_validate_remove_volumes`): each must be in a state that may join or leave, and one added
 * must be the caller's, of a type the group takes, on the group's backend and in no other group.
 */
import type { RequestContext } from '../common/context.js';
import { InvalidVolume } from '../common/errors.js';
import { extractHost } from '../common/host.js';
import { pythonRepr } from '../common/strutils.js';
import type { Db } from '../db/api/common.js';
import type { GroupRecord } from '../db/api/groups.js';
import { volumeGet } from '../db/api/volumes.js';

/** Volume statuses that may leave a group, and join one (Cinder's tuples). */
const VALID_REMOVE_VOL_FROM_GROUP_STATUS = ['available', 'in-use', 'error', 'error_deleting'];
const VALID_ADD_VOL_TO_GROUP_STATUS = ['available', 'in-use'];

/** Python's repr of a tuple of strings, as Cinder's messages print them. */
const tupleRepr = (items: readonly string[]) => `(${items.map((i) => pythonRepr(i)).join(', ')})`;

/** The ids of `removeList`, each a member of the group in a state that may leave. */
export function validateRemoveVolumes(
  volumes: readonly { id: string; status: string }[],
  removeList: readonly string[],
  group: GroupRecord,
): string[] {
  const out: string[] = [];
  for (const v of volumes) {
    if (!removeList.includes(v.id)) continue;
    if (!VALID_REMOVE_VOL_FROM_GROUP_STATUS.includes(v.status))
      throw new InvalidVolume(
        `Cannot remove volume ${v.id} from group ${group.id} because volume is in an invalid state: ${v.status}. Valid states are: ${tupleRepr(VALID_REMOVE_VOL_FROM_GROUP_STATUS)}.`,
      );
    out.push(v.id);
  }
  for (const id of removeList)
    if (!out.includes(id))
      throw new InvalidVolume(
        `Cannot remove volume ${id} from group ${group.id} because it is not in the group.`,
      );
  return out;
}

/** The ids of `addList` not yet in the group, each fit to join it (the first misfit throws). */
export async function validateAddVolumes(
  db: Db,
  ctx: RequestContext,
  volumes: readonly { id: string }[],
  addList: readonly string[],
  group: GroupRecord,
): Promise<string[]> {
  const out: string[] = [];
  for (const id of addList.filter((a) => !volumes.some((v) => v.id === a))) {
    const v = await volumeGet(db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!v)
      throw new InvalidVolume(`Cannot add volume ${id} to group ${group.id} because volume cannot be found.`);
    if (v.group_id)
      throw new InvalidVolume(
        `Cannot add volume ${v.id} to group ${group.id} because it is already in group ${v.group_id}.`,
      );
    if (v.project_id !== group.project_id)
      throw new InvalidVolume(
        `Cannot add volume ${v.id} to group ${group.id} as they belong to different projects.`,
      );
    if (!v.volume_type_id)
      throw new InvalidVolume(
        `Cannot add volume ${v.id} to group ${group.id} because it has no volume type.`,
      );
    if (!group.volume_type_ids.includes(v.volume_type_id))
      throw new InvalidVolume(
        `Cannot add volume ${v.id} to group ${group.id} because volume type ${v.volume_type_id} is not supported by the group.`,
      );
    if (!VALID_ADD_VOL_TO_GROUP_STATUS.includes(v.status))
      throw new InvalidVolume(
        `Cannot add volume ${v.id} to group ${group.id} because volume is in an invalid state: ${v.status}. Valid states are: ${tupleRepr(VALID_ADD_VOL_TO_GROUP_STATUS)}.`,
      );
    const backendOf = (x: { host: string | null; cluster_name: string | null }) =>
      extractHost(x.cluster_name || x.host, 'backend');
    if (backendOf(v) !== backendOf(group)) throw new InvalidVolume('Volume is not local to this node.');
    out.push(v.id);
  }
  return out;
}
