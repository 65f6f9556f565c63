/**
 * Request-body schemas (Cinder Zed's `cinder/api/schemas/`) and their validators, compiled once
 * when this module loads. A validator throws `ValidationError` with Cinder's exact detail.
 */
import { compileSchema } from '../validation/validator.js';
import type { BodyValidator } from '../validation/types.js';
import * as quotaSets from './quota-sets.js';
import * as volumeMetadata from './volume-metadata.js';
import * as volumeTypes from './volume-types.js';
import * as volumes from './volumes.js';
import type { VersionLike } from './volumes.js';

export { quotaSets, volumeMetadata, volumeTypes, volumes };
export * as parameterTypes from './parameter-types.js';
export { volumeCreateSchemaFor, volumeUpdateSchemaFor, type VersionLike } from './volumes.js';

/** `POST /volumes`, 3.0–3.12. */
export const validateCreateVolume: BodyValidator = compileSchema(volumes.createVolume);
/** `POST /volumes`, 3.13–3.46. */
export const validateCreateVolumeV313: BodyValidator = compileSchema(volumes.createVolumeV313);
/** `POST /volumes`, 3.47–3.52. */
export const validateCreateVolumeV347: BodyValidator = compileSchema(volumes.createVolumeV347);
/** `POST /volumes`, 3.53+. */
export const validateCreateVolumeV353: BodyValidator = compileSchema(volumes.createVolumeV353);
/** `PUT /volumes/{id}`, 3.0–3.52. */
export const validateUpdateVolume: BodyValidator = compileSchema(volumes.updateVolume);
/** `PUT /volumes/{id}`, 3.53+. */
export const validateUpdateVolumeV353: BodyValidator = compileSchema(volumes.updateVolumeV353);

/** The `POST /volumes` validator for the request's microversion. */
export function volumeCreateValidatorFor(version: VersionLike): BodyValidator {
  if (version.gte('3.53')) return validateCreateVolumeV353;
  if (version.gte('3.47')) return validateCreateVolumeV347;
  if (version.gte('3.13')) return validateCreateVolumeV313;
  return validateCreateVolume;
}

/** The `PUT /volumes/{id}` validator for the request's microversion. */
export function volumeUpdateValidatorFor(version: VersionLike): BodyValidator {
  return version.gte('3.53') ? validateUpdateVolumeV353 : validateUpdateVolume;
}

/** `POST` and `PUT /volumes/{id}/metadata`. */
export const validateCreateMetadata: BodyValidator = compileSchema(volumeMetadata.createMetadata);
/** `PUT /volumes/{id}/metadata/{key}`. */
export const validateUpdateMetadataItem: BodyValidator = compileSchema(volumeMetadata.updateMetadataItem);

/** `POST /types`. */
export const validateCreateVolumeType: BodyValidator = compileSchema(volumeTypes.createVolumeType);
/** `PUT /types/{id}`. */
export const validateUpdateVolumeType: BodyValidator = compileSchema(volumeTypes.updateVolumeType);
/** `POST /types/{id}/extra_specs`. */
export const validateCreateExtraSpecs: BodyValidator = compileSchema(volumeTypes.createExtraSpecs);
/** `PUT /types/{id}/extra_specs/{key}`. */
export const validateUpdateExtraSpec: BodyValidator = compileSchema(volumeTypes.updateExtraSpec);

const quotaSetValidator = compileSchema(quotaSets.updateQuotaSet);

/**
 * `PUT /os-quota-sets/{project_id}`. `quotaKeys` are the resource names Cinder would accept
 * (`QUOTAS` + `GROUP_QUOTAS`, per-type keys included); others give `Bad key(s) in quota set`.
 */
export function validateUpdateQuotaSet(body: unknown, quotaKeys: ReadonlySet<string>): void {
  quotaSetValidator(body, { quotaKeys });
}
