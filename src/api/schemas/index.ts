/**
 * Request-body schemas (Cinder Zed's `cinder/api/schemas/`) and their validators, each compiled
 * by ajv on its first body. A validator throws `ValidationError` with Cinder's exact detail.
 */
import { ValidationError } from '../../common/errors.js';
import { compileSchema } from '../validation/validator.js';
import type { BodyValidator } from '../validation/types.js';
import * as quotaSets from './quota-sets.js';
import * as volumeMetadata from './volume-metadata.js';
import * as volumeTypes from './volume-types.js';
import * as volumes from './volumes.js';
import type { CreateVolumeBody, UpdateVolumeBody, VersionLike } from './volumes.js';
import type { CreateMetadataBody, UpdateMetadataItemBody } from './volume-metadata.js';
import type {
  CreateExtraSpecsBody,
  CreateVolumeTypeBody,
  UpdateExtraSpecBody,
  UpdateVolumeTypeBody,
} from './volume-types.js';

export { quotaSets, volumeMetadata, volumeTypes, volumes };
export * as parameterTypes from './parameter-types.js';
export { volumeCreateSchemaFor, volumeUpdateSchemaFor, type VersionLike } from './volumes.js';

/** `POST /volumes`, 3.0–3.12. */
export const validateCreateVolume: BodyValidator<CreateVolumeBody> = compileSchema(volumes.createVolume);
/** `POST /volumes`, 3.13–3.46. */
export const validateCreateVolumeV313: BodyValidator<CreateVolumeBody> = compileSchema(
  volumes.createVolumeV313,
);
/** `POST /volumes`, 3.47–3.52. */
export const validateCreateVolumeV347: BodyValidator<CreateVolumeBody> = compileSchema(
  volumes.createVolumeV347,
);
/** `POST /volumes`, 3.53+. */
export const validateCreateVolumeV353: BodyValidator<CreateVolumeBody> = compileSchema(
  volumes.createVolumeV353,
);
/** `PUT /volumes/{id}`, 3.0–3.52. */
export const validateUpdateVolume: BodyValidator<UpdateVolumeBody> = compileSchema(volumes.updateVolume);
/** `PUT /volumes/{id}`, 3.53+. */
export const validateUpdateVolumeV353: BodyValidator<UpdateVolumeBody> = compileSchema(
  volumes.updateVolumeV353,
);

/** The `POST /volumes` validator for the request's microversion. */
export function volumeCreateValidatorFor(version: VersionLike): BodyValidator<CreateVolumeBody> {
  if (version.gte('3.53')) return validateCreateVolumeV353;
  if (version.gte('3.47')) return validateCreateVolumeV347;
  if (version.gte('3.13')) return validateCreateVolumeV313;
  return validateCreateVolume;
}

/** The `PUT /volumes/{id}` validator for the request's microversion. */
export function volumeUpdateValidatorFor(version: VersionLike): BodyValidator<UpdateVolumeBody> {
  return version.gte('3.53') ? validateUpdateVolumeV353 : validateUpdateVolume;
}

/** `POST` and `PUT /volumes/{id}/metadata`. */
export const validateCreateMetadata: BodyValidator<CreateMetadataBody> = compileSchema(
  volumeMetadata.createMetadata,
);
/** `PUT /volumes/{id}/metadata/{key}`. */
export const validateUpdateMetadataItem: BodyValidator<UpdateMetadataItemBody> = compileSchema(
  volumeMetadata.updateMetadataItem,
);

/**
 * `validate`, then a 400 for a null extra spec value (worded as python-jsonschema would word a
 * schema that said `string`). Cinder's schemas allow null and Cinder stores it; Kindling's
 * extra-spec rows hold strings, so it refuses the value rather than fail in the database (a
 * deliberate difference, see the README). The body types say `string` for that reason.
 */
function withoutNullSpecs<T>(
  validate: BodyValidator<T>,
  specsOf: (body: T) => Readonly<Record<string, string | null>> | undefined,
): BodyValidator<T> {
  return (body, context) => {
    const valid = validate(body, context);
    const specs = specsOf(valid);
    if (specs === null || typeof specs !== 'object') return valid;
    for (const [key, value] of Object.entries(specs)) {
      if (value === null)
        throw new ValidationError(
          `Invalid input for field/attribute ${key}. Value: None. None is not of type 'string'`,
        );
    }
    return valid;
  };
}

/** `POST /types`. */
export const validateCreateVolumeType: BodyValidator<CreateVolumeTypeBody> = withoutNullSpecs(
  compileSchema<CreateVolumeTypeBody>(volumeTypes.createVolumeType),
  (body) => body.volume_type.extra_specs,
);
/** `PUT /types/{id}`. */
export const validateUpdateVolumeType: BodyValidator<UpdateVolumeTypeBody> = compileSchema(
  volumeTypes.updateVolumeType,
);
/** `POST /types/{id}/extra_specs`. */
export const validateCreateExtraSpecs: BodyValidator<CreateExtraSpecsBody> = withoutNullSpecs(
  compileSchema<CreateExtraSpecsBody>(volumeTypes.createExtraSpecs),
  (body) => body.extra_specs,
);
/** `PUT /types/{id}/extra_specs/{key}`. */
export const validateUpdateExtraSpec: BodyValidator<UpdateExtraSpecBody> = withoutNullSpecs(
  compileSchema<UpdateExtraSpecBody>(volumeTypes.updateExtraSpec),
  (body) => body,
);

const quotaSetValidator = compileSchema<quotaSets.UpdateQuotaSetBody>(quotaSets.updateQuotaSet);

/**
 * `PUT /os-quota-sets/{project_id}`. `quotaKeys` are the resource names Cinder would accept
 * (`QUOTAS` + `GROUP_QUOTAS`, per-type keys included); others give `Bad key(s) in quota set`.
 */
export function validateUpdateQuotaSet(
  body: unknown,
  quotaKeys: ReadonlySet<string>,
): quotaSets.UpdateQuotaSetBody {
  return quotaSetValidator(body, { quotaKeys });
}
