/**
 * Per-project default volume types (Cinder's `db.project_default_volume_type_*` as its
 * `default_types` API calls them). The type a create without one gets is
 * `getDefaultVolumeType` (volume-types.ts).
 */
import { VolumeTypeProjectDefaultNotFound } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import {
  projectDefaultVolumeTypeId,
  projectDefaultVolumeTypeList,
  projectDefaultVolumeTypeSet,
  projectDefaultVolumeTypeUnset,
  type ProjectDefaultType,
} from '../db/api/volume-types.js';

/** Sets (or replaces) a project's default type. */
export function setProjectDefaultType(
  db: Db,
  projectId: string,
  typeId: string,
): Promise<ProjectDefaultType> {
  return projectDefaultVolumeTypeSet(db, projectId, typeId);
}

/** A project's default type entry; `VolumeTypeProjectDefaultNotFound` when it has none. */
export async function getProjectDefaultType(db: Db, projectId: string): Promise<ProjectDefaultType> {
  const typeId = await projectDefaultVolumeTypeId(db, projectId);
  if (!typeId) throw new VolumeTypeProjectDefaultNotFound(projectId);
  return { project_id: projectId, volume_type_id: typeId };
}

/** Every project's default type entry, by project id. */
export function listProjectDefaultTypes(db: Db): Promise<ProjectDefaultType[]> {
  return projectDefaultVolumeTypeList(db);
}

/** Removes a project's default type entry; a project without one is fine. */
export function unsetProjectDefaultType(db: Db, projectId: string): Promise<void> {
  return projectDefaultVolumeTypeUnset(db, projectId);
}
