/**
 * Attachment bodies, after Cinder Zed's `cinder/api/schemas/attachments.py`: create (3.27; `mode`
 * from 3.54) and update (a connector with at least one key).
 */
import { compileSchema } from '../validation/validator.js';
import type { BodyValidator } from '../validation/types.js';
import { uuid } from './parameter-types.js';

function createSchema(withMode: boolean) {
  return {
    type: 'object',
    properties: {
      attachment: {
        type: 'object',
        properties: {
          instance_uuid: uuid,
          connector: { type: ['object', 'null'] },
          volume_uuid: uuid,
          ...(withMode ? { mode: { type: 'string', enum: ['rw', 'ro'] } } : {}),
        },
        required: ['volume_uuid'],
        additionalProperties: false,
      },
    },
    required: ['attachment'],
    additionalProperties: false,
  } as const;
}

/**
 * A `POST /attachments` body, 3.27–3.53. The connector is any object (os-brick's connector
 * properties; Cinder's schema says nothing about its keys); `{}` counts as no connector.
 */
export interface CreateAttachmentBody {
  attachment: {
    instance_uuid?: string;
    connector?: Record<string, unknown> | null;
    volume_uuid: string;
  };
}

/** A `POST /attachments` body, 3.54+: may say `mode`. */
export interface CreateAttachmentV354Body {
  attachment: CreateAttachmentBody['attachment'] & { mode?: 'rw' | 'ro' };
}

export const update = {
  type: 'object',
  properties: {
    attachment: {
      type: 'object',
      properties: { connector: { type: 'object', minProperties: 1 } },
      required: ['connector'],
      additionalProperties: false,
    },
  },
  required: ['attachment'],
  additionalProperties: false,
} as const;

/** An {@link update} body: a connector (any object with at least one key). */
export interface UpdateAttachmentBody {
  attachment: { connector: Record<string, unknown> };
}

export const validateCreate: BodyValidator<CreateAttachmentBody> = compileSchema(createSchema(false));
export const validateCreateV354: BodyValidator<CreateAttachmentV354Body> = compileSchema(createSchema(true));
export const validateUpdate: BodyValidator<UpdateAttachmentBody> = compileSchema(update);
