/**
 * A volume type's extra specs, written (Cinder's `db.volume_type_extra_specs_update_or_create` and
 * `volume_type_extra_specs_delete` as its `types_extra_specs` API calls them).
 */
import { VolumeTypeExtraSpecsNotFound } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import { volumeTypeExtraSpecsDelete, volumeTypeExtraSpecsUpdate } from '../db/api/volume-types.js';

/** Creates or updates the given specs of a type (its other specs are left as they are). */
export function setExtraSpecs(db: Db, typeId: string, specs: Record<string, string>): Promise<void> {
  return volumeTypeExtraSpecsUpdate(db, typeId, specs);
}

/** Deletes one spec of a type; `VolumeTypeExtraSpecsNotFound` when it has none by that key. */
export async function deleteExtraSpec(db: Db, typeId: string, key: string): Promise<void> {
  if (!(await volumeTypeExtraSpecsDelete(db, typeId, key)))
    throw new VolumeTypeExtraSpecsNotFound(typeId, key);
}
