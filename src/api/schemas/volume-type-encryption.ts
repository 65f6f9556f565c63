/**
 * `/types/{id}/encryption` bodies, after Cinder Zed's `cinder/api/schemas/volume_type_encryption.py`.
 * NOTE: Cinder's `key_size` also has the `key_size` format (an int-like value); the controller checks
 * that (`checkKeySizeFormat`) so this schema needs no format of its own.
 */
import { DB_MAX_INT } from './parameter-types.js';

const encryptionProperties = {
  key_size: { type: ['string', 'integer', 'null'], minimum: 0, maximum: DB_MAX_INT },
  provider: { type: 'string', minLength: 0, maxLength: 255 },
  control_location: { enum: ['front-end', 'back-end'] },
  cipher: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
} as const;

/**
 * The `encryption` object of an {@link update} body: the known fields, each optional, and any
 * other key (accepted, then ignored by the controller).
 */
export interface EncryptionSpecsBody {
  key_size?: string | number | null;
  provider?: string;
  control_location?: 'front-end' | 'back-end';
  cipher?: string | null;
  [key: string]: unknown;
}

/** `POST /types/{id}/encryption`. */
export const create = {
  type: 'object',
  properties: {
    encryption: {
      type: 'object',
      properties: encryptionProperties,
      required: ['provider', 'control_location'],
      additionalProperties: true,
    },
  },
  required: ['encryption'],
  additionalProperties: false,
} as const;

/** A {@link create} body: `provider` and `control_location` are required. */
export interface CreateEncryptionBody {
  encryption: EncryptionSpecsBody & Required<Pick<EncryptionSpecsBody, 'provider' | 'control_location'>>;
}

/** `PUT /types/{id}/encryption/{id}`: the same, nothing required. */
export const update = {
  type: 'object',
  properties: {
    encryption: {
      type: 'object',
      properties: encryptionProperties,
      additionalProperties: true,
    },
  },
  required: ['encryption'],
  additionalProperties: false,
} as const;

/** An {@link update} body. */
export interface UpdateEncryptionBody {
  encryption: EncryptionSpecsBody;
}
