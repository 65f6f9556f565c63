/** Per-project default type views (Cinder's `api/v3/views/default_types.py`). */
import type { ProjectDefaultType } from '../../db/api/volume-types.js';

/** `{project_id, volume_type_id}`. */
export function defaultTypeEntry(d: ProjectDefaultType): Record<string, string> {
  return { project_id: d.project_id, volume_type_id: d.volume_type_id };
}
