/**
 * `/qos-specs` bodies, after Cinder Zed's `cinder/api/schemas/qos_specs.py` (its bogus `type`
 * property left out).
 */
import * as types from './parameter-types.js';

/** `POST /qos-specs`: a name and any spec keys (their values are checked by the controller). */
export const create = {
  type: 'object',
  properties: {
    qos_specs: {
      type: 'object',
      properties: {
        name: { type: 'string', format: 'name_skip_leading_trailing_spaces' },
      },
      required: ['name'],
      additionalProperties: true,
    },
  },
  required: ['qos_specs'],
  additionalProperties: false,
} as const;

/** A {@link create} body: the name and the spec keys, whatever their values. */
export interface CreateQosSpecsBody {
  qos_specs: { name: string; [key: string]: unknown };
}

/** `PUT /qos-specs/{id}`: keys to set; a value may be null. */
export const set = {
  type: 'object',
  properties: { qos_specs: types.extraSpecsWithNull },
  required: ['qos_specs'],
  additionalProperties: false,
} as const;

/** A {@link set} body. */
export interface SetQosSpecsBody {
  qos_specs: Record<string, string | null>;
}

/** `PUT /qos-specs/{id}/delete_keys`. */
export const unset = {
  type: 'object',
  properties: {
    keys: {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 255 },
      uniqueItems: true,
    },
  },
  required: ['keys'],
  additionalProperties: false,
} as const;

/** An {@link unset} body. */
export interface UnsetQosSpecsBody {
  keys: string[];
}
