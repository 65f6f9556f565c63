// TEMPORARY until src/api/schemas lands.
import { ValidationError } from '../../common/errors.js';
import type { APIVersion } from '../microversion.js';
function obj(b: unknown, key: string): void {
  if (!b || typeof b !== 'object' || !(key in (b as object))) throw new ValidationError(`Invalid input for field/attribute ${key}. Value: None. '${key}' is a required property`);
}
export function validateVolumeCreate(b: unknown, _v: APIVersion): void { obj(b, 'volume'); }
export function validateVolumeUpdate(b: unknown, _v: APIVersion): void { obj(b, 'volume'); }
export function validateMetadataBody(b: unknown): void { obj(b, 'metadata'); }
export function validateMetaItemBody(b: unknown): void { obj(b, 'meta'); }
