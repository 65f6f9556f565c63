/**
 * The note of a new volume's uncommitted reservation ids: admin metadata `quota_reservations`,
 * written in the transaction that writes the row, and read, locked and removed by whoever settles
 * the volume's quota (src/quota/volume-reservations.ts, which says who and when). The usage
 * queries (quota-usages.ts) leave a noted volume out of `in_use`.
 */
import type { DatabaseHandle } from '../connection.js';
import { lockedUnlessSqlite, sqliteWriteLock } from '../retry.js';
import type { Db } from './common.js';
import type { DialectName } from '../dialect-name.js';
import { preparedQueries, preparedQuery } from '../prepared-query.js';

/** The admin metadata key of the note. */
export const PENDING_QUOTA_KEY = 'quota_reservations';

/** The admin metadata a new volume row is written with: its uncommitted reservation ids. */
export function pendingQuotaMetadata(reservations: readonly string[]): Record<string, string> {
  const value = reservations.join(',');
  // NOTE: admin metadata values are varchar(255); a volume's reservations are at most four ids.
  if (value.length > 255)
    throw new Error(`too many reservations to note on a volume: ${reservations.length}`);
  return { [PENDING_QUOTA_KEY]: value };
}

/** A volume's note: its admin metadata rows and the reservation ids they hold. */
export interface VolumeQuotaNote {
  ids: number[];
  reservations: string[];
}

/** The volume's note (live, or soft-deleted with its row), locked until the transaction ends. */
export async function volumeQuotaNoteLock(
  trx: Db,
  h: Pick<DatabaseHandle, 'dialect' | 'transactionsHoldWriteLock'>,
  volumeId: string,
): Promise<VolumeQuotaNote | null> {
  await sqliteWriteLock(trx, h);
  const { rows } = await noteRowsLocked(h.dialect)(trx, { volumeId, key: PENDING_QUOTA_KEY });
  if (!rows.length) return null;
  return {
    ids: rows.map((r) => r.id),
    reservations: rows.flatMap((r) => r.value.split(',').filter(Boolean)),
  };
}

/** Per dialect: a volume's note rows, locked. */
const noteRowsLocked = preparedQueries(
  (dialect: DialectName) => (db: Db, v: { volumeId: string; key: string }) => {
    const q = db
      .selectFrom('volume_admin_metadata')
      .select(['id', 'value'])
      .where('volume_id', '=', v.volumeId)
      .where('key', '=', v.key)
      .orderBy('id');
    return lockedUnlessSqlite(dialect, q);
  },
);

/** Removes a note (its quota settled, in the same transaction). */
export async function volumeQuotaNoteDelete(trx: Db, note: VolumeQuotaNote): Promise<void> {
  await deleteRows(trx, { ids: note.ids });
}

const deleteRows = preparedQuery((db, v: { ids: readonly number[] }) =>
  db.deleteFrom('volume_admin_metadata').where('id', 'in', v.ids),
);

/** The volumes with a note written before `cutoff` (a formatted timestamp). */
export async function volumeQuotaNotesBefore(db: Db, cutoff: string): Promise<string[]> {
  const rows = await db
    .selectFrom('volume_admin_metadata')
    .select('volume_id')
    .distinct()
    .where('key', '=', PENDING_QUOTA_KEY)
    .where('created_at', '<', cutoff)
    .execute();
  return rows.map((r) => r.volume_id);
}
