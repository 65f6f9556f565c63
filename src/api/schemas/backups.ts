/**
 * Backup bodies, after Cinder Zed's `cinder/api/schemas/backups.py` and `admin_actions.py`
 * (`reset_status_backup`).
 * NOTE: like the other schemas, the stray `'type': 'object'` entry Cinder lists among the
 * properties is left out (a body with a `type` key crashes python-jsonschema there).
 * NOTE: the `backup_status` and `base64` formats are checked by the controller
 * (src/api/v3/backups.ts), as the snapshot status format is.
 */
import * as types from './parameter-types.js';
import type { BooleanLike } from './parameter-types.js';

/** `container`: string or null, ≤255. */
const container = { type: ['string', 'null'], minLength: 0, maxLength: 255 } as const;
/** `uuid_allow_null`: a UUID or null (in Cinder's order). */
const uuidAllowNull = { oneOf: [types.uuid, { type: 'null' }] } as const;

const createFields = {
  volume_id: types.uuid,
  container,
  description: types.description,
  incremental: types.boolean,
  force: types.boolean,
  name: types.nameAllowZeroMinLength,
  snapshot_id: uuidAllowNull,
} as const;

function createWith(fields: Record<string, unknown>) {
  return {
    type: 'object',
    properties: {
      backup: {
        type: 'object',
        properties: fields,
        required: ['volume_id'],
        additionalProperties: false,
      },
    },
    required: ['backup'],
    additionalProperties: false,
  } as const;
}

/** `POST /backups`, 3.0–3.42. */
export const create = createWith(createFields);
/** 3.43–3.50: adds `metadata`. */
export const createV343 = createWith({ ...createFields, metadata: types.metadataAllowsNull });
/** 3.51+: adds `availability_zone`. */
export const createV351 = createWith({
  ...createFields,
  metadata: types.metadataAllowsNull,
  availability_zone: types.nullableString,
});

/**
 * A `POST /backups` body, any microversion: `metadata` is in the schema from 3.43 on and
 * `availability_zone` from 3.51 on (before, either is an unknown key, refused).
 */
export interface CreateBackupBody {
  backup: {
    volume_id: string;
    container?: string | null;
    description?: string | null;
    incremental?: BooleanLike;
    force?: BooleanLike;
    name?: string | null;
    snapshot_id?: string | null;
    metadata?: Record<string, string> | null;
    availability_zone?: string | null;
  };
}

function updateWith(fields: Record<string, unknown>) {
  return {
    type: 'object',
    properties: {
      backup: { type: ['object', 'null'], properties: fields, additionalProperties: false },
    },
    required: ['backup'],
    additionalProperties: false,
  } as const;
}

/** `PUT /backups/{id}`, 3.9–3.42. */
export const update = updateWith({ name: types.nameAllowZeroMinLength, description: types.description });
/** 3.43+: adds `metadata` (Cinder's `extra_specs` type). */
export const updateV343 = updateWith({
  name: types.nameAllowZeroMinLength,
  description: types.description,
  metadata: types.extraSpecs,
});

/** A `PUT /backups/{id}` body, any microversion: `metadata` is in the schema from 3.43 on. */
export interface UpdateBackupBody {
  backup: {
    name?: string | null;
    description?: string | null;
    metadata?: Record<string, string>;
  } | null;
}

/** `POST /backups/{id}/restore`. */
export const restore = {
  type: 'object',
  properties: {
    restore: {
      type: ['object', 'null'],
      properties: { name: types.nameAllowZeroMinLength, volume_id: uuidAllowNull },
      additionalProperties: false,
    },
  },
  required: ['restore'],
  additionalProperties: false,
} as const;

/** A `POST /backups/{id}/restore` body. */
export interface RestoreBackupBody {
  restore: { name?: string | null; volume_id?: string | null } | null;
}

/** `POST /backups/import_record`. */
export const importRecord = {
  type: 'object',
  properties: {
    'backup-record': {
      type: 'object',
      properties: {
        backup_service: { type: 'string', minLength: 0, maxLength: 255 },
        backup_url: { type: 'string', minLength: 1 },
      },
      required: ['backup_service', 'backup_url'],
      additionalProperties: false,
    },
  },
  required: ['backup-record'],
  additionalProperties: false,
} as const;

/** A `POST /backups/import_record` body. */
export interface ImportRecordBody {
  'backup-record': { backup_service: string; backup_url: string };
}
