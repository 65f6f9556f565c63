import type { Db, PageRequest } from './common.js';
import type { MessagesTable } from '../schema.js';

export async function messageGet(db: Db, id: string, projectId?: string | null): Promise<MessagesTable | null> {
  let q = db.selectFrom('messages').selectAll().where('id', '=', id).where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  return (await q.executeTakeFirst()) ?? null;
}

/** Messages matching exact-value filters, newest first unless sorted otherwise. */
export async function messageGetAll(
  db: Db,
  filters: Partial<Pick<MessagesTable, 'project_id' | 'resource_uuid' | 'resource_type' | 'event_id' | 'request_id' | 'message_level'>>,
  page: PageRequest,
): Promise<MessagesTable[]> {
  let q = db.selectFrom('messages').selectAll().where('deleted', '=', 0);
  for (const [k, v] of Object.entries(filters) as [keyof MessagesTable, string][]) if (v !== undefined) q = q.where(k, '=', v);
  const sort = page.sort?.length ? page.sort : [{ key: 'created_at', dir: 'desc' as const }];
  if (page.marker) {
    const m = await db.selectFrom('messages').select(['created_at', 'id']).where('id', '=', page.marker).executeTakeFirst();
    if (m) q = q.where((eb) => eb.or([eb('created_at', '<', m.created_at), eb.and([eb('created_at', '=', m.created_at), eb('id', '<', m.id)])]));
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
