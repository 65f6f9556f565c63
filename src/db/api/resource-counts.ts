/**
 * Counts over live (not deleted) rows, one `GROUP BY` each, for the gauges the API exposes when
 * scraped (src/metrics/database-gauges.ts).
 */
import type { Db } from './common.js';

/** Live volumes counted by status and host (null: not scheduled yet). */
export async function volumeCountsByStatusAndHost(
  db: Db,
): Promise<{ status: string; host: string | null; count: number }[]> {
  const rows = await db
    .selectFrom('volumes')
    .select(['status', 'host', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('deleted', '=', 0)
    .groupBy(['status', 'host'])
    .execute();
  return rows.map((r) => ({ status: r.status, host: r.host, count: Number(r.n) }));
}

/** Live snapshots or backups counted by status. */
export async function countsByStatus(
  db: Db,
  table: 'snapshots' | 'backups',
): Promise<{ status: string; count: number }[]> {
  const rows = await db
    .selectFrom(table)
    .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('deleted', '=', 0)
    .groupBy('status')
    .execute();
  return rows.map((r) => ({ status: r.status, count: Number(r.n) }));
}

/** Quota reservations neither committed nor rolled back yet. */
export async function openReservationCount(db: Db): Promise<number> {
  const r = await db
    .selectFrom('reservations')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
