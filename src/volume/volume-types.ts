import type { RequestContext } from '../common/context.js';
import {
  BadRequest,
  Invalid,
  VolumeTypeDefaultMisconfiguredError,
  VolumeTypeExists,
  VolumeTypeNotFound,
  VolumeTypeNotFoundByName,
} from '../common/errors.js';
import { isUuidLike, newUuid } from '../common/uuid.js';
import type { Db, PageRequest } from '../db/api/common.js';
import {
  projectDefaultVolumeTypeId,
  volumeTypeCount,
  volumeTypeCreate,
  volumeTypeDefaultForProjects,
  volumeTypeDestroy,
  volumeTypeGet,
  volumeTypeGetByName,
  volumeTypeInUse,
  volumeTypeList,
  volumeTypeProjects,
  volumeTypeQuotaResourcesRename,
  volumeTypeUpdate,
  type VolumeTypeListFilters,
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
  return t ? qosSpecsOfType(db, t) : {};
}

/** The QoS specs of a type record already read (one query, none without an association). */
export async function qosSpecsOfType(
  db: Db,
  type: Pick<VolumeTypeRecord, 'qos_specs_id'>,
): Promise<Record<string, string | null>> {
  if (!type.qos_specs_id) return {};
  return (await qosSpecsGet(db, type.qos_specs_id))?.specs ?? {};
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

/** Whether any live volume has the type (its specs and encryption are fixed while one does). */
export function isVolumeTypeInUse(db: Db, typeId: string): Promise<boolean> {
  return volumeTypeInUse(db, typeId);
}

/** A page of the types the filters select (Cinder's `get_all_types`). */
export function listVolumeTypes(
  db: Db,
  filters: VolumeTypeListFilters,
  page: PageRequest,
): Promise<VolumeTypeRecord[]> {
  return volumeTypeList(db, filters, page);
}

/**
 * Creates a type (Cinder's `volume_types.create`): `VolumeTypeExists` when a live type has the
 * name. Answers the new type as it was stored.
 */
export async function createVolumeType(
  db: Db,
  values: {
    name: string;
    description: string | null;
    isPublic: boolean;
    extraSpecs: Record<string, string>;
  },
): Promise<VolumeTypeRecord> {
  if (await volumeTypeGetByName(db, values.name)) throw new VolumeTypeExists(values.name);
  await volumeTypeCreate(db, {
    id: newUuid(),
    name: values.name,
    description: values.description,
    is_public: values.isPublic,
    extra_specs: values.extraSpecs,
  });
  return (await volumeTypeGetByName(db, values.name))!;
}

/**
 * Updates a type's name, description or visibility (Cinder's `volume_types.update`; null leaves a
 * field as it is). A new name taken by another type is `VolumeTypeExists`; a rename carries the
 * type's per-type quota resources along, in the same transaction.
 */
export async function updateVolumeType(
  db: Db,
  old: VolumeTypeRecord,
  values: { name: string | null; description: string | null; isPublic: boolean | null },
): Promise<void> {
  const { name, description, isPublic } = values;
  if (name !== null) {
    const clash = await volumeTypeGetByName(db, name);
    if (clash && clash.id !== old.id) throw new VolumeTypeExists(name);
  }
  await db.transaction().execute(async (trx) => {
    await volumeTypeUpdate(trx, old.id, {
      ...(name !== null ? { name } : {}),
      ...(description !== null ? { description } : {}),
      ...(isPublic !== null ? { is_public: isPublic } : {}),
    });
    if (name && name !== old.name) await volumeTypeQuotaResourcesRename(trx, old.name, name);
  });
}

/**
 * Deletes a type (Cinder's `volume_types.destroy`): not a project's or the configured default,
 * not the last type, not one volumes use; then the soft delete.
 */
export async function destroyVolumeType(db: Db, defaultName: string, t: VolumeTypeRecord): Promise<void> {
  const isDefault = `The volume type ${t.id} is a default volume type and cannot be deleted.`;
  if ((await volumeTypeDefaultForProjects(db, t.id)).length > 0) throw new BadRequest(isDefault);
  const conf = await volumeTypeGetByName(db, defaultName);
  if (!conf) throw new VolumeTypeDefaultMisconfiguredError(defaultName);
  if (conf.id === t.id) throw new BadRequest(isDefault);
  if ((await volumeTypeCount(db)) <= 1)
    throw new BadRequest(
      `The volume type ${t.id} is the only currently defined volume type and cannot be deleted.`,
    );
  if (await volumeTypeInUse(db, t.id)) throw new BadRequest('Target volume type is still in use.');
  await volumeTypeDestroy(db, t.id);
}
