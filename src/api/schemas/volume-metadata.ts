/**
 * Volume metadata bodies, after Cinder Zed's `cinder/api/schemas/volume_metadata.py`.
 * NOTE: Cinder's schemas also list a property named `type` whose "schema" is the string
 * `'object'` (a slip); a body with a `type` key then crashes python-jsonschema (500). Kindling
 * leaves it out, so such a key is an ordinary unexpected property (400).
 */
import * as types from './parameter-types.js';

/** `POST /volumes/{id}/metadata` and `PUT /volumes/{id}/metadata`: `{metadata: {k: v}}`. */
export const createMetadata = {
  type: 'object',
  properties: { metadata: types.extraSpecs },
  required: ['metadata'],
  additionalProperties: false,
} as const;

/** A {@link createMetadata} body. */
export interface CreateMetadataBody {
  metadata: Record<string, string>;
}

/** `PUT /volumes/{id}/metadata/{key}`: `{meta: {k: v}}` with exactly one key. */
export const updateMetadataItem = {
  type: 'object',
  properties: { meta: { ...types.extraSpecs, minProperties: 1, maxProperties: 1 } },
  required: ['meta'],
  additionalProperties: false,
} as const;

/** An {@link updateMetadataItem} body: `meta` holds one `key: value`. */
export interface UpdateMetadataItemBody {
  meta: Record<string, string>;
}
