/** The request-body validators the volume controllers use, picked by microversion. */
import {
  validateCreateMetadata,
  validateUpdateMetadataItem,
  volumeCreateValidatorFor,
  volumeUpdateValidatorFor,
} from '../schemas/index.js';
import type { APIVersion } from '../microversion.js';

export function validateVolumeCreate(body: unknown, version: APIVersion): void {
  volumeCreateValidatorFor(version)(body);
}

export function validateVolumeUpdate(body: unknown, version: APIVersion): void {
  volumeUpdateValidatorFor(version)(body);
}

export const validateMetadataBody = (body: unknown): void => validateCreateMetadata(body);
export const validateMetaItemBody = (body: unknown): void => validateUpdateMetadataItem(body);
