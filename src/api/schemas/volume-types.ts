/**
 * Volume type and extra-spec bodies, after Cinder Zed's `cinder/api/schemas/volume_types.py`
 * and `types_extra_specs.py` (the bogus `type` property is left out, see `volume-metadata.ts`).
 * NOTE: update needs at least one of name/description/is_public, but Cinder checks that in the
 * controller, not in the schema.
 */
import * as types from './parameter-types.js';
import type { BooleanLike } from './parameter-types.js';

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

/**
 * A {@link createVolumeType} body. `extra_specs` values are strings: the schema lets a null
 * through, which `validateCreateVolumeType` then refuses (`withoutNullSpecs` in `index.ts`).
 */
export interface CreateVolumeTypeBody {
  volume_type: {
    name: string;
    description?: string | null;
    extra_specs?: Record<string, string>;
    'os-volume-type-access:is_public'?: BooleanLike;
  };
}

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

/** An {@link updateVolumeType} body. */
export interface UpdateVolumeTypeBody {
  volume_type: {
    name?: string | null;
    description?: string | null;
    is_public?: BooleanLike;
  };
}

/** `POST /types/{id}/extra_specs`: `{extra_specs: {k: v}}`. */
export const createExtraSpecs = {
  type: 'object',
  properties: { extra_specs: types.extraSpecsWithNoSpacesKey },
  required: ['extra_specs'],
  additionalProperties: false,
} as const;

/** A {@link createExtraSpecs} body; values are strings, as for {@link CreateVolumeTypeBody}. */
export interface CreateExtraSpecsBody {
  extra_specs: Record<string, string>;
}

/** `PUT /types/{id}/extra_specs/{key}`: `{k: v}`, exactly one key. */
export const updateExtraSpec = {
  ...types.extraSpecsWithNoSpacesKey,
  minProperties: 1,
  maxProperties: 1,
} as const;

/** An {@link updateExtraSpec} body: one `key: value`, a string, as for {@link CreateVolumeTypeBody}. */
export type UpdateExtraSpecBody = Record<string, string>;
