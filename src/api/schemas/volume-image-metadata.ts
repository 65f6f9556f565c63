/**
 * Bodies of the image-metadata volume actions, after Cinder Zed's
 * `cinder/api/schemas/volume_image_metadata.py` (`os-show_image_metadata` has no schema).
 */
import { compileSchema } from '../validation/validator.js';
import type { BodyValidator } from '../validation/types.js';
import * as types from './parameter-types.js';

/** `{"os-set_image_metadata": {"metadata": {k: v}}}`: keys and values as volume metadata's. */
export const setImageMetadata = {
  type: 'object',
  properties: {
    'os-set_image_metadata': {
      type: 'object',
      properties: { metadata: types.extraSpecs },
      required: ['metadata'],
      additionalProperties: false,
    },
  },
  required: ['os-set_image_metadata'],
  additionalProperties: false,
} as const;

/** A {@link setImageMetadata} body. */
export interface SetImageMetadataBody {
  'os-set_image_metadata': { metadata: Record<string, string> };
}

/** `{"os-unset_image_metadata": {"key": k}}`. */
export const unsetImageMetadata = {
  type: 'object',
  properties: {
    'os-unset_image_metadata': {
      type: 'object',
      properties: { key: { type: 'string', minLength: 1, maxLength: 255 } },
      required: ['key'],
      additionalProperties: false,
    },
  },
  required: ['os-unset_image_metadata'],
  additionalProperties: false,
} as const;

/** An {@link unsetImageMetadata} body. */
export interface UnsetImageMetadataBody {
  'os-unset_image_metadata': { key: string };
}

export const validateSetImageMetadata: BodyValidator<SetImageMetadataBody> = compileSchema(setImageMetadata);
export const validateUnsetImageMetadata: BodyValidator<UnsetImageMetadataBody> =
  compileSchema(unsetImageMetadata);
