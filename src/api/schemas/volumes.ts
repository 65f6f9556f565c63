/**
 * Volume create/update bodies, after Cinder Zed's `cinder/api/schemas/volumes.py`.
 * Create: 3.0 `createVolume`, 3.13 adds `group_id`, 3.47 adds `backup_id`, 3.53 refuses unknown
 * keys inside `volume`. Update: 3.53 also wants at least one known key.
 */
import * as types from './parameter-types.js';
import type { BooleanLike } from './parameter-types.js';

/** `name`/`display_name`: string or null, ≤255 once trimmed (`Invalid input received: …`). */
const trimmedName = { type: ['string', 'null'], format: 'name_non_mandatory_remove_white_spaces' } as const;
/** `description`/`display_description`: string or null, ≤255 once trimmed. */
const trimmedDescription = {
  type: ['string', 'null'],
  format: 'description_non_mandatory_remove_white_spaces',
} as const;

const createFields = {
  name: trimmedName,
  description: trimmedDescription,
  display_name: trimmedName,
  display_description: trimmedDescription,
  // NOTE: volume_type takes an id as well as a name, so it is only a bounded string here.
  volume_type: types.nameAllowZeroMinLength,
  metadata: types.metadataAllowsNull,
  snapshot_id: types.optionalUuid,
  source_volid: types.optionalUuid,
  consistencygroup_id: types.optionalUuid,
  size: types.volumeSizeAllowsNull,
  availability_zone: types.availabilityZone,
  // NOTE: accepted only so the controller can answer that multiattach moved to volume types.
  multiattach: types.optionalBoolean,
  image_id: types.nullableString,
  imageRef: types.nullableString,
} as const;

const createFieldsV313 = { ...createFields, group_id: types.nullableString } as const;
const createFieldsV347 = { ...createFieldsV313, backup_id: types.optionalUuid } as const;

function createBody<F>(fields: F, additionalProperties: boolean) {
  return {
    type: 'object',
    properties: {
      volume: { type: 'object', properties: fields, additionalProperties },
      'OS-SCH-HNT:scheduler_hints': { type: ['object', 'null'] },
    },
    required: ['volume'],
    additionalProperties: false,
  } as const;
}

/** `POST /volumes`, 3.0–3.12 (unknown keys inside `volume` are accepted and ignored). */
export const createVolume = createBody(createFields, true);
/** `POST /volumes`, 3.13–3.46 (adds `group_id`). */
export const createVolumeV313 = createBody(createFieldsV313, true);
/** `POST /volumes`, 3.47–3.52 (adds `backup_id`). */
export const createVolumeV347 = createBody(createFieldsV347, true);
/** `POST /volumes`, 3.53+ (unknown keys inside `volume` → 400). */
export const createVolumeV353 = createBody(createFieldsV347, false);

/**
 * A `POST /volumes` body, any microversion. `group_id` is in the schema from 3.13 on and
 * `backup_id` from 3.47 on; before, they are unknown keys like any other, let through unchecked
 * (and, before 3.53, so is any other key: the index signature), so the controller reads them only
 * from those versions on. `size` is an integer or a digit string.
 */
export interface CreateVolumeBody {
  volume: {
    name?: string | null;
    description?: string | null;
    display_name?: string | null;
    display_description?: string | null;
    volume_type?: string | null;
    metadata?: Record<string, string> | null;
    snapshot_id?: string | null;
    source_volid?: string | null;
    consistencygroup_id?: string | null;
    size?: number | string | null;
    availability_zone?: string | null;
    multiattach?: BooleanLike | null;
    image_id?: string | null;
    imageRef?: string | null;
    group_id?: string | null;
    backup_id?: string | null;
    [key: string]: unknown;
  };
  /** Any object: Cinder's schema says nothing about its keys. */
  'OS-SCH-HNT:scheduler_hints'?: Record<string, unknown> | null;
}

const updateFields = {
  name: trimmedName,
  description: trimmedDescription,
  display_name: trimmedName,
  display_description: trimmedDescription,
  metadata: types.extraSpecs,
} as const;

/** `PUT /volumes/{id}`, 3.0–3.52. */
export const updateVolume = {
  type: 'object',
  properties: {
    volume: { type: 'object', properties: updateFields, additionalProperties: false },
  },
  required: ['volume'],
  additionalProperties: false,
} as const;

/** A `PUT /volumes/{id}` body, any microversion. */
export interface UpdateVolumeBody {
  volume: {
    name?: string | null;
    description?: string | null;
    display_name?: string | null;
    display_description?: string | null;
    metadata?: Record<string, string>;
  };
}

/** `PUT /volumes/{id}`, 3.53+: at least one of the known keys. */
export const updateVolumeV353 = {
  ...updateVolume,
  properties: {
    volume: {
      ...updateVolume.properties.volume,
      anyOf: [
        { required: ['name'] },
        { required: ['description'] },
        { required: ['display_name'] },
        { required: ['display_description'] },
        { required: ['metadata'] },
      ],
    },
  },
} as const;

/** Anything that can answer "is the request's microversion at least v?". */
export interface VersionLike {
  gte(version: string): boolean;
}

/** The create schema Cinder applies at `version`. */
export function volumeCreateSchemaFor(version: VersionLike) {
  if (version.gte('3.53')) return createVolumeV353;
  if (version.gte('3.47')) return createVolumeV347;
  if (version.gte('3.13')) return createVolumeV313;
  return createVolume;
}

/** The update schema Cinder applies at `version`. */
export function volumeUpdateSchemaFor(version: VersionLike) {
  return version.gte('3.53') ? updateVolumeV353 : updateVolume;
}
