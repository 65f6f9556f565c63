/**
 * Volume type and extra-spec bodies, after Cinder Zed's `cinder/api/schemas/volume_types.py`
 * and `types_extra_specs.py` (the bogus `type` property is left out, see `volume-metadata.ts`).
 * NOTE: update needs at least one of name/description/is_public, but Cinder checks that in the
 * controller, not in the schema.
 */
import * as types from './parameter-types.js';

/** `POST /types`. */
export const createVolumeType = {
  type: 'object',
  properties: {
    volume_type: {
      type: 'object',
      properties: {
        name: types.name,
        description: types.description,
        extra_specs: types.extraSpecsWithNull,
        'os-volume-type-access:is_public': types.boolean,
      },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['volume_type'],
  additionalProperties: false,
} as const;

/** `PUT /types/{id}`. */
export const updateVolumeType = {
  type: 'object',
  properties: {
    volume_type: {
      type: 'object',
      properties: {
        name: types.updateName,
        description: types.description,
        is_public: types.boolean,
      },
      additionalProperties: false,
    },
  },
  required: ['volume_type'],
  additionalProperties: false,
} as const;

/** `POST /types/{id}/extra_specs`: `{extra_specs: {k: v}}`. */
export const createExtraSpecs = {
  type: 'object',
  properties: { extra_specs: types.extraSpecsWithNoSpacesKey },
  required: ['extra_specs'],
  additionalProperties: false,
} as const;

/** `PUT /types/{id}/extra_specs/{key}`: `{k: v}`, exactly one key. */
export const updateExtraSpec = {
  ...types.extraSpecsWithNoSpacesKey,
  minProperties: 1,
  maxProperties: 1,
} as const;
