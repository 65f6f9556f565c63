/**
 * A volume type's encryption spec, read and written (Cinder's `db.volume_type_encryption_*` as its
 * `volume_type_encryption` API calls them): at most one per type.
 */
import { VolumeTypeEncryptionExists, VolumeTypeEncryptionNotFound } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import {
  ENCRYPTION_FIELDS,
  volumeTypeEncryptionCreate,
  volumeTypeEncryptionDelete,
  volumeTypeEncryptionGet,
  volumeTypeEncryptionUpdate,
  type EncryptionValues,
} from '../db/api/volume-type-encryption.js';
import type { EncryptionTable } from '../db/schema.js';

/** The columns a client may set. */
export { ENCRYPTION_FIELDS };

/** A type's encryption spec, or null. */
export function getTypeEncryption(db: Db, typeId: string): Promise<EncryptionTable | null> {
  return volumeTypeEncryptionGet(db, typeId);
}

/** Adds a type's encryption spec (`VolumeTypeEncryptionExists` when it has one); returns it. */
export async function createTypeEncryption(
  db: Db,
  typeId: string,
  values: EncryptionValues,
): Promise<EncryptionTable> {
  if (await volumeTypeEncryptionGet(db, typeId)) throw new VolumeTypeEncryptionExists(typeId);
  return volumeTypeEncryptionCreate(db, typeId, values);
}

/** Changes the given fields of a type's spec; `VolumeTypeEncryptionNotFound` when it has none. */
export async function updateTypeEncryption(db: Db, typeId: string, values: EncryptionValues): Promise<void> {
  if (!(await volumeTypeEncryptionUpdate(db, typeId, values))) throw new VolumeTypeEncryptionNotFound(typeId);
}

/** Deletes a type's spec; `VolumeTypeEncryptionNotFound` when it has none. */
export async function deleteTypeEncryption(db: Db, typeId: string): Promise<void> {
  if (!(await volumeTypeEncryptionDelete(db, typeId))) throw new VolumeTypeEncryptionNotFound(typeId);
}
