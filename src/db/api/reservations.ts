/**
 * Quota reservations (`reservations`): what a reserve inserts and a commit, rollback or the expiry
 * finishes. The engine that decides when is src/quota/quota-engine.ts; the usage rows they point at
 * are quota-usages.ts.
 */
import type { DatabaseHandle } from '../connection.js';
import type { Db } from './common.js';
import { lockedUnlessSqlite } from '../retry.js';
import type { DialectName } from '../dialect-name.js';
import { preparedQueries, preparedQuery } from '../prepared-query.js';

/** One new reservation: its own columns. */
export interface NewReservation {
  uuid: string;
  usage_id: number;
  resource: string;
  delta: number;
}

/** What one reserve's reservation rows share. */
export interface ReservationBatch {
  project_id: string;
  expire: string;
  created_at: string;
}

/** Inserts one reserve's reservation rows, all in one statement. */
export async function reservationsCreate(
  db: Db,
  batch: ReservationBatch,
  rows: readonly NewReservation[],
): Promise<void> {
  if (!rows.length) return;
  await insertReservations(db, {
    uuid: rows.map((r) => r.uuid),
    usageId: rows.map((r) => r.usage_id),
    resource: rows.map((r) => r.resource),
    delta: rows.map((r) => r.delta),
    projectId: batch.project_id,
    expire: batch.expire,
    createdAt: batch.created_at,
  });
}

/** Reservation rows by column: row i is item i of each list; the rest is every row's. */
interface ReservationColumns {
  uuid: string[];
  usageId: number[];
  resource: string[];
  delta: number[];
  projectId: string;
  expire: string;
  createdAt: string;
}

const insertReservations = preparedQuery((db, v: ReservationColumns) =>
  db.insertInto('reservations').values(
    v.uuid.map((uuid, i) => ({
      uuid,
      usage_id: v.usageId[i]!,
      project_id: v.projectId,
      resource: v.resource[i]!,
      delta: v.delta[i]!,
      expire: v.expire,
      created_at: v.createdAt,
      deleted: 0 as const,
    })),
  ),
);

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
  return reservationsToFinish[includeFinished ? 'all' : 'open'](h.dialect)(trx, { uuids }).then(
    (r) => r.rows,
  );
}

/** The lock-for-finish query, per dialect: of the open reservations only, or of all. */
const reservationsToFinish = {
  open: reservationsLocked(false),
  all: reservationsLocked(true),
};

function reservationsLocked(includeFinished: boolean) {
  return preparedQueries((dialect: DialectName) => (db: Db, v: { uuids: readonly string[] }) => {
    let q = db
      .selectFrom('reservations')
      .select(['id', 'usage_id', 'delta', 'deleted'])
      .where('uuid', 'in', v.uuids)
      .orderBy('id');
    if (!includeFinished) q = q.where('deleted', '=', 0);
    return lockedUnlessSqlite(dialect, q);
  });
}

/** Marks reservations finished (soft-deleted). */
export async function reservationsFinish(db: Db, ids: readonly number[], now: string): Promise<void> {
  await finishReservations(db, { ids, now });
}

const finishReservations = preparedQuery((db, v: { ids: readonly number[]; now: string }) =>
  db
    .updateTable('reservations')
    .set({ deleted: 1, deleted_at: v.now, updated_at: v.now })
    .where('id', 'in', v.ids),
);

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
