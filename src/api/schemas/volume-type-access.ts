/**
 * `POST /types/{id}/action` bodies of the type access extension, after Cinder Zed's
 * `cinder/api/schemas/volume_type_access.py` (its bogus `type` property left out).
 */
import * as types from './parameter-types.js';

function projectAccess(action: string) {
  return {
    type: 'object',
    properties: {
      [action]: {
        type: 'object',
        properties: { project: types.uuid },
        required: ['project'],
        additionalProperties: false,
      },
    },
    required: [action],
    additionalProperties: false,
  } as const;
}

/** `{"addProjectAccess": {"project": <uuid>}}`. */
export const addProjectAccess = projectAccess('addProjectAccess');

/** `{"removeProjectAccess": {"project": <uuid>}}`. */
export const removeProjectAccess = projectAccess('removeProjectAccess');

/** An {@link addProjectAccess} body. */
export interface AddProjectAccessBody {
  addProjectAccess: { project: string };
}

/** A {@link removeProjectAccess} body. */
export interface RemoveProjectAccessBody {
  removeProjectAccess: { project: string };
}
