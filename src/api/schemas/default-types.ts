/**
 * `PUT /default-types/{project_id}` (3.62), after Cinder Zed's `cinder/api/schemas/default_types.py`.
 * NOTE: Cinder's schema has no top-level `type` or `required`, so a body without `default_type`
 * passes it and then fails with a 500; here such a body is a 400 instead.
 */
import * as types from './parameter-types.js';

export const createOrUpdate = {
  type: 'object',
  properties: {
    default_type: {
      type: 'object',
      properties: { volume_type: types.name },
      required: ['volume_type'],
      additionalProperties: false,
    },
  },
  required: ['default_type'],
} as const;

/** A {@link createOrUpdate} body (other top-level keys pass, as in Cinder). */
export interface CreateOrUpdateDefaultTypeBody {
  default_type: { volume_type: string };
}
