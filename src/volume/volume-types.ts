import type { RequestContext } from '../common/context.js';
import {
  VolumeTypeDefaultMisconfiguredError,
  VolumeTypeNotFound,
  VolumeTypeNotFoundByName,
} from '../common/errors.js';
import { isUuidLike } from '../common/uuid.js';
import type { Db } from '../db/api/common.js';
import {
  projectDefaultVolumeTypeId,
  volumeTypeGet,
  volumeTypeGetByName,
  volumeTypeProjects,
  type VolumeTypeRecord,
} from '../db/api/volume-types.js';

/** Whether a (possibly private) type is visible to the caller. */
export async function isTypeVisible(db: Db, ctx: RequestContext, t: VolumeTypeRecord): Promise<boolean> {
  if (t.is_public || ctx.isAdmin) return true;
  return ctx.projectId !== null && (await volumeTypeProjects(db, t.id)).includes(ctx.projectId);
}

/** A visible type by id, or 404 `Volume type <id> could not be found.` */
export async function getVolumeType(db: Db, ctx: RequestContext, id: string): Promise<VolumeTypeRecord> {
  const t = await volumeTypeGet(db, id);
  if (!t || !(await isTypeVisible(db, ctx, t))) throw new VolumeTypeNotFound(id);
  return t;
}

/**
 * Cinder's `get_by_name_or_id`: a UUID-like value is tried as id, then as name (404 `Volume type
 * <x> could not be found.`); anything else is a name (404 `Volume type with name <x> …`).
 */
export async function getVolumeTypeByNameOrId(
  db: Db,
  ctx: RequestContext,
  ref: string,
): Promise<VolumeTypeRecord> {
  if (isUuidLike(ref)) {
    const byId = await volumeTypeGet(db, ref);
    if (byId && (await isTypeVisible(db, ctx, byId))) return byId;
    const byName = await volumeTypeGetByName(db, ref);
    if (byName && (await isTypeVisible(db, ctx, byName))) return byName;
    throw new VolumeTypeNotFound(ref);
  }
  const t = await volumeTypeGetByName(db, ref);
  if (!t || !(await isTypeVisible(db, ctx, t))) throw new VolumeTypeNotFoundByName(ref);
  return t;
}

/**
 * The default type for a project: its `/default-types` entry, else `default_volume_type` from
 * config; a missing configured default is Cinder's 500 `VolumeTypeDefaultMisconfiguredError`.
 */
export async function getDefaultVolumeType(
  db: Db,
  ctx: RequestContext,
  defaultName: string,
): Promise<VolumeTypeRecord> {
  if (ctx.projectId) {
    const pid = await projectDefaultVolumeTypeId(db, ctx.projectId);
    const t = pid ? await volumeTypeGet(db, pid) : null;
    if (t) return t;
  }
  const t = await volumeTypeGetByName(db, defaultName);
  if (!t) throw new VolumeTypeDefaultMisconfiguredError(defaultName);
  return t;
}
