/**
 * Group types and their specs (Cinder's `volume/group_types.py`: `create`, `update`, `destroy`,
 * `get_all_group_types`, `get_group_type`; and the spec writes its `group_specs` API makes). The
 * legacy consistency group type is cgsnapshot-type.ts.
 */
import type { RequestContext } from '../common/context.js';
import { BadRequest, GroupTypeExists, GroupTypeNotFound, GroupTypeSpecsNotFound } from '../common/errors.js';
import { newUuid } from '../common/uuid.js';
import type { Db, PageRequest } from '../db/api/common.js';
import {
  GroupMarkerNotFound,
  groupTypeCreate,
  groupTypeDestroy,
  groupTypeGet,
  groupTypeGetByName,
  groupTypeInUse,
  groupTypeList,
  groupTypeSpecsDelete,
  groupTypeSpecsUpdate,
  groupTypeUpdate,
  type GroupTypeRecord,
} from '../db/api/groups.js';

/** A group type the caller may see (a private one only for admins), or `GroupTypeNotFound`. */
export async function getGroupType(db: Db, ctx: RequestContext, id: string): Promise<GroupTypeRecord> {
  const t = await groupTypeGet(db, id);
  if (!t || (!t.is_public && !ctx.isAdmin)) throw new GroupTypeNotFound(id);
  return t;
}

/** A page of group types (`isPublic` null: all); a marker naming none is `GroupTypeNotFound`. */
export async function listGroupTypes(
  db: Db,
  isPublic: boolean | null,
  page: PageRequest,
): Promise<GroupTypeRecord[]> {
  try {
    return await groupTypeList(db, { isPublic }, page);
  } catch (e) {
    if (e instanceof GroupMarkerNotFound) throw new GroupTypeNotFound(e.marker);
    throw e;
  }
}

/** Creates a group type: `GroupTypeExists` when a live one has the name. Answers it as stored. */
export async function createGroupType(
  db: Db,
  values: {
    name: string;
    description: string | null;
    isPublic: boolean;
    specs: Record<string, string>;
  },
): Promise<GroupTypeRecord> {
  if (await groupTypeGetByName(db, values.name)) throw new GroupTypeExists(values.name);
  await groupTypeCreate(db, {
    id: newUuid(),
    name: values.name,
    description: values.description,
    is_public: values.isPublic,
    specs: values.specs,
  });
  return (await groupTypeGetByName(db, values.name))!;
}

/**
 * Updates a group type's name, description or visibility (an empty name and nulls leave a field
 * as it is); a name another type has is `GroupTypeExists`.
 */
export async function updateGroupType(
  db: Db,
  id: string,
  values: { name: string | null; description: string | null; isPublic: boolean | null },
): Promise<void> {
  const { name, description, isPublic } = values;
  if (name) {
    const clash = await groupTypeGetByName(db, name);
    if (clash && clash.id !== id) throw new GroupTypeExists(name);
  }
  await groupTypeUpdate(db, id, {
    ...(name ? { name } : {}),
    ...(description !== null ? { description } : {}),
    ...(isPublic !== null ? { is_public: isPublic ? 1 : 0 } : {}),
  });
}

/** Deletes a group type no live group has (else 400 `Target group type is still in use.`). */
export async function destroyGroupType(db: Db, id: string): Promise<void> {
  if (await groupTypeInUse(db, id)) throw new BadRequest('Target group type is still in use.');
  await groupTypeDestroy(db, id);
}

/** Creates or updates the given specs of a group type (others are left as they are). */
export function setGroupSpecs(db: Db, typeId: string, specs: Record<string, string | null>): Promise<void> {
  return groupTypeSpecsUpdate(db, typeId, specs);
}

/** Deletes one spec of a group type; `GroupTypeSpecsNotFound` when it has none by that key. */
export async function deleteGroupSpec(db: Db, typeId: string, key: string): Promise<void> {
  if (!(await groupTypeSpecsDelete(db, typeId, key))) throw new GroupTypeSpecsNotFound(typeId, key);
}
