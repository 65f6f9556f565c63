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

export const retype = actionBody(
  'os-retype',
  {
    new_type: { type: 'string' },
    migration_policy: { type: ['string', 'null'], enum: ['on-demand', 'never'] },
  },
  ['new_type'],
);

export const setBootable = actionBody('os-set_bootable', { bootable: types.boolean }, ['bootable']);

export const updateReadonlyFlag = actionBody('os-update_readonly_flag', { readonly: types.boolean }, [
  'readonly',
]);

const statusOrNull = { type: ['string', 'null'] } as const;

/** `os-reset_status` without its format checks (see {@link validateResetStatus}). */
export const resetStatus = actionBody(
  'os-reset_status',
  { status: statusOrNull, attach_status: statusOrNull, migration_status: statusOrNull },
  [],
);

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

export const migrateVolumeCompletion = actionBody(
  'os-migrate_volume_completion',
  { new_volume: types.uuid, error: { type: ['string', 'null', 'boolean'] } },
  ['new_volume'],
);

export const validateExtend: BodyValidator = compileSchema(extend);
export const validateRetype: BodyValidator = compileSchema(retype);
export const validateSetBootable: BodyValidator = compileSchema(setBootable);
export const validateUpdateReadonlyFlag: BodyValidator = compileSchema(updateReadonlyFlag);
export const validateMigrateVolume: BodyValidator = compileSchema(migrateVolume);
export const validateMigrateVolumeV316: BodyValidator = compileSchema(migrateVolumeV316);
export const validateMigrateVolumeCompletion: BodyValidator = compileSchema(migrateVolumeCompletion);
const validateResetStatusSchema: BodyValidator = compileSchema(resetStatus);

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
export function validateResetStatus(body: unknown): void {
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
  validateResetStatusSchema(body);
}
