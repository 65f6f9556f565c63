/**
 * Snapshot bodies, after Cinder Zed's `cinder/api/schemas/snapshots.py`,
 * `snapshot_actions.py` and `admin_actions.py` (`reset_status_snapshot`).
 * NOTE: like `volume-metadata.ts`, the stray `'type': 'object'` entry Cinder lists among the
 * properties is left out (a body with a `type` key crashes python-jsonschema there).
 * NOTE: the `snapshot_status` and `progress` formats raise errors of their own in Cinder; the
 * controller checks them (src/api/v3/snapshots-actions.ts), so they are not formats here.
 */
import * as types from './parameter-types.js';
import type { BooleanLike } from './parameter-types.js';

/** `uuid_allow_null`: a UUID or null (in Cinder's order). */
const uuidAllowNull = { oneOf: [types.uuid, { type: 'null' }] } as const;

/** `POST /snapshots`. */
export const createSnapshot = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        name: types.nameAllowZeroMinLength,
        display_name: types.nameAllowZeroMinLength,
        description: types.description,
        volume_id: uuidAllowNull,
        force: types.boolean,
        metadata: types.metadataAllowsNull,
      },
      required: ['volume_id'],
      additionalProperties: false,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
} as const;

/** A {@link createSnapshot} body. */
export interface CreateSnapshotBody {
  snapshot: {
    name?: string | null;
    display_name?: string | null;
    description?: string | null;
    volume_id: string | null;
    force?: BooleanLike;
    metadata?: Record<string, string> | null;
  };
}

/** `PUT /snapshots/{id}`: at least one of the four fields. */
export const updateSnapshot = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        name: types.nameAllowZeroMinLength,
        description: types.description,
        display_name: types.nameAllowZeroMinLength,
        display_description: types.description,
      },
      additionalProperties: false,
      anyOf: [
        { required: ['name'] },
        { required: ['description'] },
        { required: ['display_name'] },
        { required: ['display_description'] },
      ],
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
} as const;

/** An {@link updateSnapshot} body (at least one field given). */
export interface UpdateSnapshotBody {
  snapshot: {
    name?: string | null;
    description?: string | null;
    display_name?: string | null;
    display_description?: string | null;
  };
}

/** `os-update_snapshot_status`. */
export const updateSnapshotStatus = {
  type: 'object',
  properties: {
    'os-update_snapshot_status': {
      type: 'object',
      properties: { status: { type: 'string' }, progress: {} },
      required: ['status'],
      additionalProperties: false,
    },
  },
  required: ['os-update_snapshot_status'],
  additionalProperties: false,
} as const;

/** An {@link updateSnapshotStatus} body; `progress` is any value (the controller checks it). */
export interface UpdateSnapshotStatusBody {
  'os-update_snapshot_status': { status: string; progress?: unknown };
}
