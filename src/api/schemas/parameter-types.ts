/**
 * Common parameter types of request bodies, after Cinder Zed's
 * `cinder/api/validation/parameter_types.py`. Key order matters: the validator reports the
 * first failing keyword in this order, as python-jsonschema does.
 */
import { VALID_DESCRIPTION_REGEX } from './description-regex.js';

/** Cinder's `constants.DB_MAX_INT` (largest signed 32-bit integer). */
export const DB_MAX_INT = 2147483647;

/** A mandatory name (volume type create): 1..255 and not only whitespace. */
export const name = { type: 'string', minLength: 1, maxLength: 255, format: 'name' } as const;

/** A name on update: string or null, 1..255. */
export const updateName = { type: ['string', 'null'], minLength: 1, maxLength: 255 } as const;

/** A description: string or null, ≤255 printable characters. */
export const description = {
  type: ['string', 'null'],
  minLength: 0,
  maxLength: 255,
  pattern: VALID_DESCRIPTION_REGEX,
} as const;

/** oslo-style booleans: `true`/`false` or one of the accepted spellings. */
export const boolean = {
  type: ['boolean', 'string'],
  enum: [
    true,
    'True',
    'TRUE',
    'true',
    '1',
    'ON',
    'On',
    'on',
    'YES',
    'Yes',
    'yes',
    'y',
    't',
    false,
    'False',
    'FALSE',
    'false',
    '0',
    'OFF',
    'Off',
    'off',
    'NO',
    'No',
    'no',
    'n',
    'f',
  ],
} as const;

/** What {@link boolean} accepts: `true`/`false` or one of its spellings (read with `boolFromString`). */
export type BooleanLike = boolean | string;

/** A UUID string (oslo `is_uuid_like`). */
export const uuid = { type: 'string', format: 'uuid' } as const;

const METADATA_KEY = '^[a-zA-Z0-9-_:. /]{1,255}$';
const EXTRA_SPEC_KEY = '^[a-zA-Z0-9-_:.]{1,255}$';

/** Key/value map (metadata, extra specs): keys `^[a-zA-Z0-9-_:. /]{1,255}$`, values ≤255. */
export const extraSpecs = {
  type: 'object',
  patternProperties: { [METADATA_KEY]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
} as const;

/** Extra specs whose keys may not contain spaces or `/`; values may be null. */
export const extraSpecsWithNoSpacesKey = {
  type: 'object',
  patternProperties: { [EXTRA_SPEC_KEY]: { type: ['string', 'null'], minLength: 0, maxLength: 255 } },
  additionalProperties: false,
} as const;

/** {@link extraSpecs} whose values may be null. */
export const extraSpecsWithNull = {
  ...extraSpecs,
  patternProperties: { [METADATA_KEY]: { type: ['string', 'null'], maxLength: 255 } },
} as const;

/** String or null, 0..255 (e.g. `volume_type`, which takes a name or an id). */
export const nameAllowZeroMinLength = { type: ['string', 'null'], minLength: 0, maxLength: 255 } as const;

/** {@link extraSpecs} or null (volume create `metadata`). */
export const metadataAllowsNull = { ...extraSpecs, type: ['object', 'null'] } as const;

/** String or null, 0..255. */
export const nullableString = { type: ['string', 'null'], minLength: 0, maxLength: 255 } as const;

/** A size in GiB: integer or digit string, 1..DB_MAX_INT (strings compared numerically). */
export const volumeSize = {
  type: ['integer', 'string'],
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: DB_MAX_INT,
} as const;

/** {@link volumeSize} or null. */
export const volumeSizeAllowsNull = { ...volumeSize, type: ['integer', 'string', 'null'] } as const;

/** Null or a UUID string. */
export const optionalUuid = { oneOf: [{ type: 'null' }, { type: 'string', format: 'uuid' }] } as const;

/** Availability zone name: string or null, 1..255. */
export const availabilityZone = { type: ['string', 'null'], minLength: 1, maxLength: 255 } as const;

/** Null or a {@link boolean}. */
export const optionalBoolean = { oneOf: [{ type: 'null' }, boolean] } as const;

/** An `os-reset_status` action body whose status the controller checks (backups, snapshots). */
export const resetStatusAction = {
  type: 'object',
  properties: {
    'os-reset_status': {
      type: 'object',
      properties: { status: { type: 'string' } },
      required: ['status'],
      additionalProperties: false,
    },
  },
  required: ['os-reset_status'],
  additionalProperties: false,
} as const;

/** A {@link resetStatusAction} body. */
export interface ResetStatusActionBody {
  'os-reset_status': { status: string };
}
