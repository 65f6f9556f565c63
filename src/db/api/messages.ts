import { sql } from 'kysely';
import type { Db, PageRequest } from './common.js';
import { paginate, withTieBreakers, markerSortValues } from './common.js';
import type { MessagesTable } from '../schema.js';
import { MessageNotFound } from '../../common/errors.js';
import { isoNow } from '../../common/time.js';

/** The columns a new message is written with; the rest are the row's defaults. */
export type MessageValues = Omit<MessagesTable, 'created_at' | 'updated_at' | 'deleted_at' | 'deleted'>;

/** Writes one message, created now. */
export async function messageCreate(db: Db, values: MessageValues): Promise<void> {
  await db
    .insertInto('messages')
    .values({ ...values, created_at: isoNow(), deleted: 0 })
    .execute();
}

/** Hard-deletes the messages that expire before `before` (a stored timestamp); answers how many. */
export async function messageDestroyExpired(db: Db, before: string): Promise<number> {
  const res = await db.deleteFrom('messages').where('expires_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function messageGet(
  db: Db,
  id: string,
  projectId?: string | null,
): Promise<MessagesTable | null> {
  let q = db.selectFrom('messages').selectAll().where('id', '=', id).where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  return (await q.executeTakeFirst()) ?? null;
}

/** Messages matching exact-value filters, newest first unless sorted otherwise. */
export async function messageGetAll(
  db: Db,
  filters: Partial<
    Pick<
      MessagesTable,
      'project_id' | 'resource_uuid' | 'resource_type' | 'event_id' | 'request_id' | 'message_level'
    >
  >,
  page: PageRequest,
): Promise<MessagesTable[]> {
  let q = db.selectFrom('messages').selectAll().where('deleted', '=', 0);
  for (const [k, v] of Object.entries(filters) as [keyof MessagesTable, string][])
    if (v !== undefined) q = q.where(k, '=', v);
  const sort = page.sort?.length ? page.sort : [{ key: 'created_at', dir: 'desc' as const }];
  if (page.marker) {
    const m = await db
      .selectFrom('messages')
      .select(['created_at', 'id'])
      .where('id', '=', page.marker)
      .executeTakeFirst();
    if (m)
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', m.created_at),
          eb.and([eb('created_at', '=', m.created_at), eb('id', '<', m.id)]),
        ]),
      );
  }
  for (const s of sort) q = q.orderBy(s.key as keyof MessagesTable, s.dir);
  q = q.orderBy('id', 'desc');
  if (page.limit !== undefined && page.limit !== null) q = q.limit(page.limit);
  if (page.offset) q = q.offset(page.offset);
  return q.execute();
}

export async function messageDestroy(db: Db, id: string): Promise<void> {
  await db.deleteFrom('messages').where('id', '=', id).execute();
}

/** Filters of a `/messages` list, already mapped to columns. */
export interface MessageListFilters {
  /** Only this project's messages (null: every project). */
  projectId?: string | null;
  /** Exact matches. */
  columns?: Partial<Record<keyof MessagesTable, string>>;
  /** Substring matches (`key~=value`, 3.34+). */
  like?: Partial<Record<keyof MessagesTable, string>>;
  /** `event_id` LIKE patterns (Cinder's `action_id` / `detail_id` columns live inside the event id). */
  eventIdPatterns?: string[];
}

/**
 * A page of messages, sorted (default `created_at`, `id`, newest first) and paginated like
 * Cinder's `paginate_query`. A `marker` naming no message is `MessageNotFound`.
 */
export async function messageList(
  db: Db,
  f: MessageListFilters,
  page: PageRequest,
): Promise<MessagesTable[]> {
  const sort = withTieBreakers(page.sort, ['created_at', 'id']);
  let q = db.selectFrom('messages').selectAll().where('deleted', '=', 0);
  if (f.projectId) q = q.where('project_id', '=', f.projectId);
  for (const [col, val] of Object.entries(f.columns ?? {}) as [keyof MessagesTable, string][])
    q = q.where(sql.ref(col), '=', val);
  for (const [col, val] of Object.entries(f.like ?? {}) as [keyof MessagesTable, string][])
    q = q.where(sql.ref(col), 'like', `%${val}%`);
  for (const p of f.eventIdPatterns ?? []) q = q.where('event_id', 'like', p);
  let marker: Record<string, unknown> | null = null;
  if (page.marker) {
    // NOTE: a null marker value compares as '' (so a null column still pages).
    marker = (await markerSortValues(db, 'messages', page.marker, sort, true)) ?? null;
    if (!marker) throw new MessageNotFound(page.marker);
  }
  return paginate(q, 'messages', sort, page, marker).execute();
}
