/**
 * Access to private volume types (Cinder's `volume_types.add_volume_type_access` and
 * `remove_volume_type_access`, and the access list `volume_type_access` shows).
 */
import { InvalidVolumeType, VolumeTypeNotFound } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import {
  volumeTypeAccessAdd,
  volumeTypeAccessList,
  volumeTypeAccessRemove,
  volumeTypeGet,
} from '../db/api/volume-types.js';

/** The projects given access to a type, oldest first. */
export function typeAccessList(
  db: Db,
  typeId: string,
): Promise<{ volume_type_id: string; project_id: string }[]> {
  return volumeTypeAccessList(db, typeId);
}

/** Cinder's check before any change: the type exists (seen as an admin) and is private. */
async function checkPrivate(db: Db, typeId: string): Promise<void> {
  const t = await volumeTypeGet(db, typeId);
  if (!t) throw new VolumeTypeNotFound(typeId);
  if (t.is_public)
    throw new InvalidVolumeType('Type access modification is not applicable to public volume type.');
}

/** Gives a project access to a private type; `VolumeTypeAccessExists` when it has it already. */
export async function addTypeAccess(db: Db, typeId: string, projectId: string): Promise<void> {
  await checkPrivate(db, typeId);
  await volumeTypeAccessAdd(db, typeId, projectId);
}

/** Takes a project's access to a private type away; `VolumeTypeAccessNotFound` when it had none. */
export async function removeTypeAccess(db: Db, typeId: string, projectId: string): Promise<void> {
  await checkPrivate(db, typeId);
  await volumeTypeAccessRemove(db, typeId, projectId);
}
