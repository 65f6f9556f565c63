/**
 * Quota reservations (`reservations`): what a reserve inserts and a commit, rollback or the expiry
 * finishes. The engine that decides when is src/quota/quota-engine.ts; the usage rows they point at
 * are quota-usages.ts.
 */
import type { DatabaseHandle } from '../connection.js';
import type { Db } from './common.js';

/** A new reservation row. */
export interface ReservationValues {
  uuid: string;
  usage_id: number;
  project_id: string;
  resource: string;
  delta: number;
  expire: string;
  created_at: string;
  deleted: 0;
}

/** Inserts reservation rows, all in one statement. */
export async function reservationsCreate(db: Db, rows: readonly ReservationValues[]): Promise<void> {
  await db
    .insertInto('reservations')
    .values([...rows])
    .execute();
}

/**
 * The reservations of `uuids` a commit or rollback finishes: the open ones, and with
 * `includeFinished` the finished ones too; in id order, locked until the transaction ends
 * (`FOR UPDATE`; SQLite holds the database write lock instead).
 */
export function reservationsLockForFinish(
  trx: Db,
  h: Pick<DatabaseHandle, 'dialect'>,
  uuids: readonly string[],
  includeFinished: boolean,
): Promise<{ id: number; usage_id: number; delta: number; deleted: number }[]> {
  let q = trx
    .selectFrom('reservations')
    .select(['id', 'usage_id', 'delta', 'deleted'])
    .where('uuid', 'in', [...uuids])
    .orderBy('id');
  if (!includeFinished) q = q.where('deleted', '=', 0);
  if (h.dialect !== 'sqlite') q = q.forUpdate();
  return q.execute();
}

/** Marks reservations finished (soft-deleted). */
export async function reservationsFinish(db: Db, ids: readonly number[], now: string): Promise<void> {
  await db
    .updateTable('reservations')
    .set({ deleted: 1, deleted_at: now, updated_at: now })
    .where('id', 'in', [...ids])
    .execute();
}

/** The uuids of open reservations whose `expire` is before `cutoff` (a formatted timestamp). */
export async function reservationsExpiredBefore(db: Db, cutoff: string): Promise<string[]> {
  const rows = await db
    .selectFrom('reservations')
    .select('uuid')
    .where('deleted', '=', 0)
    .where('expire', '<', cutoff)
    .execute();
  return rows.map((r) => r.uuid);
}
