/**
 * Generic volume group bodies, after Cinder Zed's `cinder/api/schemas/group_types.py`,
 * `group_specs.py`, `groups.py` and `group_snapshots.py` (their bogus `type` properties left out).
 * Cinder's `group_type`, `group_status` and `group_snapshot_status` formats are checked by the
 * controllers (src/api/v3/groups.ts, src/api/v3/group-snapshots.ts), with Cinder's texts.
 */
import { compileSchema } from '../validation/validator.js';
import * as types from './parameter-types.js';
import type { BooleanLike } from './parameter-types.js';

/** Group specs: keys without spaces, values may be null (`group_specs_with_no_spaces_key_and_value_null`). */
const groupSpecs = types.extraSpecsWithNoSpacesKey;

export const createGroupType = {
  type: 'object',
  properties: {
    group_type: {
      type: 'object',
      properties: {
        name: types.name,
        description: types.description,
        is_public: types.boolean,
        group_specs: types.metadataAllowsNull,
      },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['group_type'],
  additionalProperties: false,
} as const;

/** A {@link createGroupType} body. */
export interface CreateGroupTypeBody {
  group_type: {
    name: string;
    description?: string | null;
    is_public?: BooleanLike;
    group_specs?: Record<string, string> | null;
  };
}

export const updateGroupType = {
  type: 'object',
  properties: {
    group_type: {
      type: 'object',
      properties: {
        name: types.nameAllowZeroMinLength,
        description: types.description,
        is_public: types.boolean,
      },
      additionalProperties: false,
    },
  },
  required: ['group_type'],
  additionalProperties: false,
} as const;

/** An {@link updateGroupType} body. */
export interface UpdateGroupTypeBody {
  group_type: {
    name?: string | null;
    description?: string | null;
    is_public?: BooleanLike;
  };
}

export const createGroupSpecs = {
  type: 'object',
  properties: { group_specs: groupSpecs },
  required: ['group_specs'],
  additionalProperties: false,
} as const;

/** A {@link createGroupSpecs} body; a spec value may be null. */
export interface CreateGroupSpecsBody {
  group_specs: Record<string, string | null>;
}

export const updateGroupSpec = { ...groupSpecs, minProperties: 1, maxProperties: 1 } as const;

/** An {@link updateGroupSpec} body: one `key: value`, the value a string or null. */
export type UpdateGroupSpecBody = Record<string, string | null>;

export const createGroup = {
  type: 'object',
  properties: {
    group: {
      type: 'object',
      properties: {
        description: types.description,
        group_type: { type: 'string' },
        name: types.nameAllowZeroMinLength,
        volume_types: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', maxLength: 255 },
          uniqueItems: true,
        },
        availability_zone: { type: ['string', 'null'], format: 'availability_zone' },
      },
      required: ['group_type', 'volume_types'],
      additionalProperties: false,
    },
  },
  required: ['group'],
  additionalProperties: false,
} as const;

/** A {@link createGroup} body (`group_type` a name or an id). */
export interface CreateGroupBody {
  group: {
    description?: string | null;
    group_type: string;
    name?: string | null;
    volume_types: string[];
    availability_zone?: string | null;
  };
}

export const createGroupFromSource = {
  type: 'object',
  properties: {
    'create-from-src': {
      type: 'object',
      properties: {
        description: types.description,
        name: types.nameAllowZeroMinLength,
        source_group_id: types.uuid,
        group_snapshot_id: types.uuid,
      },
      oneOf: [{ required: ['group_snapshot_id'] }, { required: ['source_group_id'] }],
      additionalProperties: false,
    },
  },
  required: ['create-from-src'],
  additionalProperties: false,
} as const;

/** A {@link createGroupFromSource} body: one of the two sources. */
export interface CreateGroupFromSourceBody {
  'create-from-src': {
    description?: string | null;
    name?: string | null;
    source_group_id?: string;
    group_snapshot_id?: string;
  };
}

export const deleteGroup = {
  type: 'object',
  properties: {
    delete: {
      type: 'object',
      properties: { 'delete-volumes': types.boolean },
      additionalProperties: false,
    },
  },
  required: ['delete'],
  additionalProperties: false,
} as const;

/** A {@link deleteGroup} body. */
export interface DeleteGroupBody {
  delete: { 'delete-volumes'?: BooleanLike };
}

export const resetGroupStatus = {
  type: 'object',
  properties: {
    reset_status: {
      type: 'object',
      properties: { status: { type: 'string' } },
      required: ['status'],
      additionalProperties: false,
    },
  },
  required: ['reset_status'],
  additionalProperties: false,
} as const;

/** A {@link resetGroupStatus} (and {@link resetGroupSnapshotStatus}) body. */
export interface ResetGroupStatusBody {
  reset_status: { status: string };
}

export const updateGroup = {
  type: 'object',
  properties: {
    group: {
      type: 'object',
      properties: {
        description: types.description,
        name: types.nameAllowZeroMinLength,
        add_volumes: types.description,
        remove_volumes: types.description,
      },
      anyOf: [
        { required: ['name'] },
        { required: ['description'] },
        { required: ['add_volumes'] },
        { required: ['remove_volumes'] },
      ],
      additionalProperties: false,
    },
  },
  required: ['group'],
  additionalProperties: false,
} as const;

/** An {@link updateGroup} body (at least one field given); the volume lists are comma-separated ids. */
export interface UpdateGroupBody {
  group: {
    description?: string | null;
    name?: string | null;
    add_volumes?: string | null;
    remove_volumes?: string | null;
  };
}

/** `failover_replication`, `list_replication_targets`, `enable_replication`, `disable_replication`. */
export const failoverReplication = {
  type: 'object',
  properties: {
    failover_replication: {
      type: 'object',
      properties: {
        allow_attached_volume: types.boolean,
        secondary_backend_id: types.nullableString,
      },
      additionalProperties: false,
    },
  },
  required: ['failover_replication'],
  additionalProperties: false,
} as const;

const objectAction = (name: string) =>
  ({
    type: 'object',
    properties: { [name]: { type: 'object' } },
    required: [name],
    additionalProperties: false,
  }) as const;

export const createGroupSnapshot = {
  type: 'object',
  properties: {
    group_snapshot: {
      type: 'object',
      properties: {
        group_id: types.uuid,
        name: types.nameAllowZeroMinLength,
        description: types.description,
      },
      required: ['group_id'],
      additionalProperties: false,
    },
  },
  required: ['group_snapshot'],
  additionalProperties: false,
} as const;

/** A {@link createGroupSnapshot} body. */
export interface CreateGroupSnapshotBody {
  group_snapshot: { group_id: string; name?: string | null; description?: string | null };
}

export const resetGroupSnapshotStatus = resetGroupStatus;

export const validateCreateGroupType = compileSchema<CreateGroupTypeBody>(createGroupType);
export const validateUpdateGroupType = compileSchema<UpdateGroupTypeBody>(updateGroupType);
export const validateCreateGroupSpecs = compileSchema<CreateGroupSpecsBody>(createGroupSpecs);
export const validateUpdateGroupSpec = compileSchema<UpdateGroupSpecBody>(updateGroupSpec);
export const validateCreateGroup = compileSchema<CreateGroupBody>(createGroup);
export const validateCreateGroupFromSource = compileSchema<CreateGroupFromSourceBody>(createGroupFromSource);
export const validateDeleteGroup = compileSchema<DeleteGroupBody>(deleteGroup);
export const validateResetGroupStatus = compileSchema<ResetGroupStatusBody>(resetGroupStatus);
export const validateUpdateGroup = compileSchema<UpdateGroupBody>(updateGroup);
export const validateFailoverReplication = compileSchema(failoverReplication);
export const validateEnableReplication = compileSchema(objectAction('enable_replication'));
export const validateDisableReplication = compileSchema(objectAction('disable_replication'));
export const validateListReplicationTargets = compileSchema(objectAction('list_replication_targets'));
export const validateCreateGroupSnapshot = compileSchema<CreateGroupSnapshotBody>(createGroupSnapshot);
export const validateResetGroupSnapshotStatus = compileSchema<ResetGroupStatusBody>(resetGroupSnapshotStatus);
