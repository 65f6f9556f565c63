import { randomUUID } from 'node:crypto';
import type { Db, PageRequest } from '../db/api/common.js';
import type { RequestContext } from '../common/context.js';
import { MessageNotFound } from '../common/errors.js';
import {
  messageCreate,
  messageDestroy,
  messageDestroyExpired,
  messageGet,
  messageList,
  type MessageListFilters,
} from '../db/api/messages.js';
import type { MessagesTable } from '../db/schema.js';
import { formatTimestamp } from '../common/time.js';
import { detailFor, type MessageAction, type MessageDetail, type ResourceType } from './message-field.js';

/**
 * User messages (Cinder's `message_api`): why an asynchronous operation failed, readable by the
 * resource's owner through `/messages`.
 */
export class MessageApi {
  readonly #db: Db;
  readonly #ttlSeconds: number;

  constructor(db: Db, ttlSeconds: number) {
    this.#db = db;
    this.#ttlSeconds = ttlSeconds;
  }

  /** Records one message; never throws (a failure to write a message must not mask the real error). */
  async create(
    ctx: RequestContext,
    action: MessageAction,
    opts: {
      resourceType: ResourceType;
      resourceUuid: string | null;
      projectId?: string | null;
      error?: unknown;
      detail?: MessageDetail;
      level?: string;
      /**
       * Kindling's words after Cinder's detail in `user_message` (e.g. the scheduler's reasons);
       * cut to 1024 characters.
       */
      detailText?: string | null;
    },
  ): Promise<string | null> {
    const detail = detailFor(opts.error, opts.detail);
    const projectId = opts.projectId ?? ctx.projectId;
    if (!projectId) return null;
    const id = randomUUID();
    try {
      await messageCreate(this.#db, {
        id,
        project_id: projectId,
        request_id: ctx.requestId,
        resource_type: opts.resourceType,
        resource_uuid: opts.resourceUuid,
        event_id: `VOLUME_${opts.resourceType}_${action[0]}_${detail[0]}`,
        message_level: opts.level ?? 'ERROR',
        detail_text: opts.detailText ? opts.detailText.slice(0, 1024) : null,
        expires_at: formatTimestamp(new Date(Date.now() + this.#ttlSeconds * 1000)),
      });
      return id;
    } catch {
      return null;
    }
  }

  /** Deletes messages past `expires_at` (the periodic reaper). Returns how many. */
  cleanupExpired(now = new Date()): Promise<number> {
    return messageDestroyExpired(this.#db, formatTimestamp(now));
  }

  /**
   * One message the caller may read (Cinder's `message_api.get`): an admin sees every project's,
   * others their own project's; else `MessageNotFound`.
   */
  async get(ctx: RequestContext, id: string): Promise<MessagesTable> {
    const m = await messageGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!m) throw new MessageNotFound(id);
    return m;
  }

  /** A page of messages (Cinder's `message_api.get_all`); the filters carry the project scope. */
  list(filters: MessageListFilters, page: PageRequest): Promise<MessagesTable[]> {
    return messageList(this.#db, filters, page);
  }

  /** Deletes one message (Cinder's `message_api.delete`: a hard delete). */
  delete(id: string): Promise<void> {
    return messageDestroy(this.#db, id);
  }
}
