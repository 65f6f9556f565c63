/** The request-body validators the volume controllers use, picked by microversion. */
import {
  validateCreateMetadata,
  validateUpdateMetadataItem,
  volumeCreateValidatorFor,
  volumeUpdateValidatorFor,
} from '../schemas/index.js';
import type { CreateVolumeBody, UpdateVolumeBody } from '../schemas/volumes.js';
import type { CreateMetadataBody, UpdateMetadataItemBody } from '../schemas/volume-metadata.js';
import type { APIVersion } from '../microversion.js';

export function validateVolumeCreate(body: unknown, version: APIVersion): CreateVolumeBody {
  return volumeCreateValidatorFor(version)(body);
}

export function validateVolumeUpdate(body: unknown, version: APIVersion): UpdateVolumeBody {
  return volumeUpdateValidatorFor(version)(body);
}

export const validateMetadataBody = (body: unknown): CreateMetadataBody => validateCreateMetadata(body);
export const validateMetaItemBody = (body: unknown): UpdateMetadataItemBody =>
  validateUpdateMetadataItem(body);
