/**
 * Bodies of `POST /volumes/{id}/action`, after Cinder Zed's `cinder/api/schemas/volume_actions.py`
 * and `admin_actions.py`, with their validators.
 *
 * `os-reset_status` uses four Cinder format checkers that raise their own 400 text
 * (`validate_volume_reset_body`, `volume_status`, `volume_attach_status`, `volume_migration_status`).
 * They are not in the shared format registry, so {@link validateResetStatus} runs them first, in
 * the order python-jsonschema meets them, and leaves the rest of the schema to the validator.
 */
import { InvalidParameterValue } from '../../common/errors.js';
import { isObject, pyTruthy } from '../validation/python-values.js';
import { compileSchema } from '../validation/validator.js';
import type { BodyValidator } from '../validation/types.js';
import * as types from './parameter-types.js';
import type { BooleanLike } from './parameter-types.js';

/** `{"<action>": {…properties}}` with `required` keys and no others, inside and out. */
function actionBody(action: string, properties: Record<string, unknown>, required: string[]) {
  const inner: Record<string, unknown> = { type: 'object', properties };
  if (required.length) inner.required = required;
  inner.additionalProperties = false;
  return {
    type: 'object',
    properties: { [action]: inner },
    required: [action],
    additionalProperties: false,
  } as const;
}

export const extend = actionBody('os-extend', { new_size: types.volumeSize }, ['new_size']);

/** An {@link extend} body; `new_size` is an integer or a digit string. */
export interface ExtendBody {
  'os-extend': { new_size: number | string };
}

export const retype = actionBody(
  'os-retype',
  {
    new_type: { type: 'string' },
    migration_policy: { type: ['string', 'null'], enum: ['on-demand', 'never'] },
  },
  ['new_type'],
);

/** A {@link retype} body (null is not in the policy's enum, so it is refused). */
export interface RetypeBody {
  'os-retype': { new_type: string; migration_policy?: 'on-demand' | 'never' };
}

export const setBootable = actionBody('os-set_bootable', { bootable: types.boolean }, ['bootable']);

/** A {@link setBootable} body. */
export interface SetBootableBody {
  'os-set_bootable': { bootable: BooleanLike };
}

export const updateReadonlyFlag = actionBody('os-update_readonly_flag', { readonly: types.boolean }, [
  'readonly',
]);

/** An {@link updateReadonlyFlag} body. */
export interface UpdateReadonlyFlagBody {
  'os-update_readonly_flag': { readonly: BooleanLike };
}

const statusOrNull = { type: ['string', 'null'] } as const;

/** `os-reset_status` without its format checks (see {@link validateResetStatus}). */
export const resetStatus = actionBody(
  'os-reset_status',
  { status: statusOrNull, attach_status: statusOrNull, migration_status: statusOrNull },
  [],
);

/** A {@link resetStatus} body, its statuses checked by {@link validateResetStatus}. */
export interface ResetStatusBody {
  'os-reset_status': {
    status?: string | null;
    attach_status?: string | null;
    migration_status?: string | null;
  };
}

export const migrateVolume = actionBody(
  'os-migrate_volume',
  {
    host: { type: 'string', maxLength: 255 },
    force_host_copy: types.boolean,
    lock_volume: types.boolean,
  },
  ['host'],
);

/** 3.16+: `cluster` as well, and `host` may be null. */
export const migrateVolumeV316 = actionBody(
  'os-migrate_volume',
  {
    host: { type: ['string', 'null'], maxLength: 255 },
    force_host_copy: types.boolean,
    lock_volume: types.boolean,
    cluster: types.nameAllowZeroMinLength,
  },
  [],
);

/**
 * A {@link migrateVolumeV316} body. A {@link migrateVolume} body (before 3.16: a string `host`,
 * no `cluster`) is one too.
 */
export interface MigrateVolumeBody {
  'os-migrate_volume': {
    host?: string | null;
    force_host_copy?: BooleanLike;
    lock_volume?: BooleanLike;
    cluster?: string | null;
  };
}

export const migrateVolumeCompletion = actionBody(
  'os-migrate_volume_completion',
  { new_volume: types.uuid, error: { type: ['string', 'null', 'boolean'] } },
  ['new_volume'],
);

/** A {@link migrateVolumeCompletion} body. */
export interface MigrateVolumeCompletionBody {
  'os-migrate_volume_completion': { new_volume: string; error?: string | null | boolean };
}

/** `os-attach`: a mountpoint, and an instance or a host. */
export const attach = {
  type: 'object',
  properties: {
    'os-attach': {
      type: 'object',
      properties: {
        instance_uuid: types.uuid,
        mountpoint: { type: 'string', minLength: 1, maxLength: 255 },
        host_name: { type: 'string', maxLength: 255 },
        mode: { type: 'string', enum: ['rw', 'ro'] },
      },
      required: ['mountpoint'],
      anyOf: [{ required: ['instance_uuid'] }, { required: ['host_name'] }],
      additionalProperties: false,
    },
  },
  required: ['os-attach'],
  additionalProperties: false,
} as const;

/** An {@link attach} body (with `instance_uuid` or `host_name`). */
export interface AttachBody {
  'os-attach': {
    instance_uuid?: string;
    mountpoint: string;
    host_name?: string;
    mode?: 'rw' | 'ro';
  };
}

/** `os-detach`: null, or an optional `attachment_id`. */
export const detach = {
  type: 'object',
  properties: {
    'os-detach': {
      type: ['object', 'null'],
      properties: { attachment_id: types.optionalUuid },
      additionalProperties: false,
    },
  },
  required: ['os-detach'],
  additionalProperties: false,
} as const;

/** A {@link detach} body. */
export interface DetachBody {
  'os-detach': { attachment_id?: string | null } | null;
}

/**
 * A connector as the connection actions take it: any object (os-brick's connector properties;
 * Cinder's schemas say nothing about its keys) or, as the schemas let through, a string.
 */
export type ConnectorLike = Record<string, unknown> | string;

export const initializeConnection = actionBody(
  'os-initialize_connection',
  { connector: { type: ['object', 'string'] } },
  ['connector'],
);

/** An {@link initializeConnection} body. */
export interface InitializeConnectionBody {
  'os-initialize_connection': { connector: ConnectorLike };
}

export const terminateConnection = actionBody(
  'os-terminate_connection',
  { connector: { type: ['string', 'object', 'null'] } },
  ['connector'],
);

/** A {@link terminateConnection} body. */
export interface TerminateConnectionBody {
  'os-terminate_connection': { connector: ConnectorLike | null };
}

export const forceDetach = actionBody(
  'os-force_detach',
  { connector: { type: ['string', 'object', 'null'] }, attachment_id: { type: ['string', 'null'] } },
  [],
);

/** A {@link forceDetach} body. */
export interface ForceDetachBody {
  'os-force_detach': { connector?: ConnectorLike | null; attachment_id?: string | null };
}

/** `os-volume_upload_image` (before 3.1): a name, and the formats and `force`. */
const uploadImageProperties = {
  image_name: { type: 'string', minLength: 1, maxLength: 255 },
  force: types.boolean,
  disk_format: { type: 'string', enum: ['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop'] },
  container_format: types.description,
} as const;

export const volumeUploadImage = actionBody('os-volume_upload_image', uploadImageProperties, ['image_name']);

/** 3.1+: `visibility` and `protected` as well. */
export const volumeUploadImageV31 = actionBody(
  'os-volume_upload_image',
  {
    ...uploadImageProperties,
    visibility: { type: 'string', enum: ['community', 'public', 'private', 'shared'] },
    protected: types.boolean,
  },
  ['image_name'],
);

/**
 * A {@link volumeUploadImageV31} body. A {@link volumeUploadImage} body (before 3.1: no
 * `visibility`, no `protected`) is one too.
 */
export interface VolumeUploadImageBody {
  'os-volume_upload_image': {
    image_name: string;
    force?: BooleanLike;
    disk_format?: 'raw' | 'vmdk' | 'vdi' | 'qcow2' | 'vhd' | 'vhdx' | 'ploop';
    container_format?: string | null;
    visibility?: 'community' | 'public' | 'private' | 'shared';
    protected?: BooleanLike;
  };
}

/** `os-reimage` (3.68). */
export const reimage = actionBody('os-reimage', { image_id: types.uuid, reimage_reserved: types.boolean }, [
  'image_id',
]);

/** A {@link reimage} body. */
export interface ReimageBody {
  'os-reimage': { image_id: string; reimage_reserved?: BooleanLike };
}

export const validateExtend: BodyValidator<ExtendBody> = compileSchema(extend);
export const validateAttach: BodyValidator<AttachBody> = compileSchema(attach);
export const validateDetach: BodyValidator<DetachBody> = compileSchema(detach);
export const validateInitializeConnection: BodyValidator<InitializeConnectionBody> =
  compileSchema(initializeConnection);
export const validateTerminateConnection: BodyValidator<TerminateConnectionBody> =
  compileSchema(terminateConnection);
export const validateForceDetach: BodyValidator<ForceDetachBody> = compileSchema(forceDetach);
export const validateRetype: BodyValidator<RetypeBody> = compileSchema(retype);
export const validateSetBootable: BodyValidator<SetBootableBody> = compileSchema(setBootable);
export const validateUpdateReadonlyFlag: BodyValidator<UpdateReadonlyFlagBody> =
  compileSchema(updateReadonlyFlag);
export const validateMigrateVolume: BodyValidator<MigrateVolumeBody> = compileSchema(migrateVolume);
export const validateMigrateVolumeV316: BodyValidator<MigrateVolumeBody> = compileSchema(migrateVolumeV316);
export const validateMigrateVolumeCompletion: BodyValidator<MigrateVolumeCompletionBody> =
  compileSchema(migrateVolumeCompletion);
export const validateVolumeUploadImage: BodyValidator<VolumeUploadImageBody> =
  compileSchema(volumeUploadImage);
export const validateVolumeUploadImageV31: BodyValidator<VolumeUploadImageBody> =
  compileSchema(volumeUploadImageV31);
export const validateReimage: BodyValidator<ReimageBody> = compileSchema(reimage);
const validateResetStatusSchema: BodyValidator<ResetStatusBody> = compileSchema(resetStatus);

/** Cinder's `VolumeStatus.ALL`, in its order. */
export const VOLUME_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'error_managing',
  'managing',
  'attaching',
  'in-use',
  'detaching',
  'maintenance',
  'restoring-backup',
  'error_restoring',
  'reserved',
  'awaiting-transfer',
  'backing-up',
  'error_backing-up',
  'error_extending',
  'downloading',
  'uploading',
  'retyping',
  'extending',
] as const;
/** The attach statuses `os-reset_status` accepts. */
export const RESET_ATTACH_STATUSES = ['attached', 'detached'] as const;
/** Cinder's `VolumeMigrationStatus.ALL`. */
export const MIGRATION_STATUSES = [
  'migrating',
  'error',
  'success',
  'completing',
  'none',
  'starting',
] as const;

const pyTuple = (items: readonly string[]) => `(${items.map((s) => `'${s}'`).join(', ')})`;
const pyList = (items: readonly string[]) => `[${items.map((s) => `'${s}'`).join(', ')}]`;

/** Format checks of the three reset fields: field → [allowed values, Cinder's text]. */
const RESET_FORMATS: readonly [string, readonly string[], string, string][] = [
  ['status', VOLUME_STATUSES, 'Volume status', pyTuple(VOLUME_STATUSES)],
  ['attach_status', RESET_ATTACH_STATUSES, 'Volume attach status', pyList(RESET_ATTACH_STATUSES)],
  ['migration_status', MIGRATION_STATUSES, 'Volume migration status', pyTuple(MIGRATION_STATUSES)],
];

/**
 * `os-reset_status` (`admin_actions.reset`): throws `InvalidParameterValue` with Cinder's text for
 * an empty update or an unknown status, else the schema's `ValidationError`. `body` is already a
 * dict holding only `os-reset_status`.
 */
export function validateResetStatus(body: unknown): ResetStatusBody {
  const inner = isObject(body) ? body['os-reset_status'] : undefined;
  if (isObject(inner)) {
    // NOTE: python-jsonschema runs the object's `format` before its `properties`, and each
    // property's `type` before its `format`; a type error ends the walk (the schema reports it).
    if (!RESET_FORMATS.some(([field]) => pyTruthy(inner[field])))
      throw new InvalidParameterValue(
        "Must specify 'status', 'attach_status' or 'migration_status' for update.",
      );
    for (const [field, allowed, what, shown] of RESET_FORMATS) {
      if (!(field in inner)) continue;
      const value = inner[field];
      if (value !== null && typeof value !== 'string') break;
      if (value && !allowed.includes(value.toLowerCase()))
        throw new InvalidParameterValue(`${what}: ${value} is invalid, valid statuses are: ${shown}.`);
    }
  }
  return validateResetStatusSchema(body);
}
