import { randomUUID } from 'node:crypto';
import type { Db } from '../db/api/common.js';
import type { RequestContext } from '../common/context.js';
import { formatTimestamp, isoNow } from '../db/time.js';
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
    },
  ): Promise<string | null> {
    const detail = detailFor(opts.error, opts.detail);
    const projectId = opts.projectId ?? ctx.projectId;
    if (!projectId) return null;
    const id = randomUUID();
    try {
      await this.#db
        .insertInto('messages')
        .values({
          id,
          project_id: projectId,
          request_id: ctx.requestId,
          resource_type: opts.resourceType,
          resource_uuid: opts.resourceUuid,
          event_id: `VOLUME_${opts.resourceType}_${action[0]}_${detail[0]}`,
          message_level: opts.level ?? 'ERROR',
          expires_at: formatTimestamp(new Date(Date.now() + this.#ttlSeconds * 1000)),
          created_at: isoNow(),
          deleted: 0,
        })
        .execute();
      return id;
    } catch {
      return null;
    }
  }

  /** Deletes messages past `expires_at` (the periodic reaper). Returns how many. */
  async cleanupExpired(now = new Date()): Promise<number> {
    const res = await this.#db
      .deleteFrom('messages')
      .where('expires_at', '<', formatTimestamp(now))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
