/**
 * Quota class update body, after Cinder Zed's `cinder/api/schemas/quota_classes.py` and
 * `parameter_types.quota_class_set`. The key check of its `quota_class_set` format (`Bad key(s)
 * in quota class set: …`) is made by the controller before this schema runs, as Cinder's format
 * checker runs before the per-value checks.
 */
import { DB_MAX_INT } from './parameter-types.js';

/** `PUT /os-quota-class-sets/{class_name}`: `{quota_class_set: {<resource>: <limit>, …}}`. */
export const updateQuotaClass = {
  type: 'object',
  properties: {
    quota_class_set: {
      type: 'object',
      patternProperties: {
        '^[a-zA-Z0-9-_:. ]{1,255}$': {
          type: ['integer', 'string'],
          pattern: '^[0-9]*$',
          minimum: -1,
          minLength: 1,
          maximum: DB_MAX_INT,
        },
      },
      additionalProperties: false,
    },
  },
  required: ['quota_class_set'],
  additionalProperties: false,
} as const;

/** An {@link updateQuotaClass} body: each limit an integer or a digit string. */
export interface UpdateQuotaClassBody {
  quota_class_set: Record<string, number | string>;
}
