import type { RequestContext } from '../common/context.js';
import {
  Invalid,
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
import { qosSpecsGet } from '../db/api/qos-specs.js';
import { volumeTypeEncryptionGet } from '../db/api/volume-type-encryption.js';

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
 * The default type for a project (Cinder's `get_default_volume_type(context)`): its
 * `/default-types` entry, else `default_volume_type` from config. The project's entry is read as the
 * caller sees types, so a private type the project has no access to is 404 `Volume type <id> could
 * not be found.`, as in Cinder. A missing configured default is Cinder's 500
 * `VolumeTypeDefaultMisconfiguredError`.
 */
export async function getDefaultVolumeType(
  db: Db,
  ctx: RequestContext,
  defaultName: string,
): Promise<VolumeTypeRecord> {
  if (ctx.projectId) {
    const pid = await projectDefaultVolumeTypeId(db, ctx.projectId);
    if (pid) return getVolumeType(db, ctx, pid);
  }
  const t = await volumeTypeGetByName(db, defaultName);
  if (!t) throw new VolumeTypeDefaultMisconfiguredError(defaultName);
  return t;
}

/**
 * The QoS specs a volume of this type gets (Cinder's `get_volume_type_qos_specs` as the create flow
 * uses it): the associated spec's keys, `{}` when the type has none.
 */
export async function volumeTypeQosSpecs(db: Db, typeId: string): Promise<Record<string, string | null>> {
  const t = await volumeTypeGet(db, typeId, true);
  if (!t?.qos_specs_id) return {};
  return (await qosSpecsGet(db, t.qos_specs_id))?.specs ?? {};
}

/**
 * The encryption key for a new volume of this type (Cinder's `create_encryption_key`): null for a
 * type without encryption. Kindling has no key manager, so an encrypted type fails the way Cinder
 * does when none answers: 400 `Invalid encryption spec` without a cipher, else 400 `Key manager
 * error`.
 */
export async function createEncryptionKey(db: Db, typeId: string): Promise<string | null> {
  const enc = await volumeTypeEncryptionGet(db, typeId);
  if (!enc) return null;
  if (!enc.cipher) throw new Invalid('Invalid encryption spec');
  throw new Invalid('Key manager error');
}
