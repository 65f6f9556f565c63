/**
 * Volume transfer bodies, after Cinder Zed's `cinder/api/schemas/volume_transfer.py`: create
 * (`no_snapshots` only from 3.55) and accept.
 */
import { boolean, uuid, type BooleanLike } from './parameter-types.js';

const transferName = {
  oneOf: [{ type: 'string', format: 'name_skip_leading_trailing_spaces' }, { type: 'null' }],
} as const;

/** `POST /os-volume-transfer` and `/volume-transfers`, 3.0–3.54. */
export const createTransfer = {
  type: 'object',
  properties: {
    transfer: {
      type: 'object',
      properties: { volume_id: uuid, name: transferName },
      required: ['volume_id'],
      additionalProperties: false,
    },
  },
  required: ['transfer'],
  additionalProperties: false,
} as const;

/** A {@link createTransfer} body. */
export interface CreateTransferBody {
  transfer: { volume_id: string; name?: string | null };
}

/** `POST /volume-transfers`, 3.55+: may say `no_snapshots`. */
export const createTransferV355 = {
  type: 'object',
  properties: {
    transfer: {
      type: 'object',
      properties: { volume_id: uuid, name: transferName, no_snapshots: boolean },
      required: ['volume_id'],
      additionalProperties: false,
    },
  },
  required: ['transfer'],
  additionalProperties: false,
} as const;

/** A {@link createTransferV355} body. */
export interface CreateTransferV355Body {
  transfer: CreateTransferBody['transfer'] & { no_snapshots?: BooleanLike };
}

/** `POST …/{id}/accept`: `{accept: {auth_key}}`, the key a string or an integer. */
export const acceptTransfer = {
  type: 'object',
  properties: {
    accept: {
      type: 'object',
      properties: { auth_key: { type: ['string', 'integer'] } },
      required: ['auth_key'],
      additionalProperties: false,
    },
  },
  required: ['accept'],
  additionalProperties: false,
} as const;

/** An {@link acceptTransfer} body. */
export interface AcceptTransferBody {
  accept: { auth_key: string | number };
}
