/**
 * The `transfers` table (Cinder's `db.transfer_*`): offers of a volume to another project. Creating
 * one moves the volume `available` → `awaiting-transfer`, deleting one moves it back, accepting
 * one gives the volume (and its snapshots) to the receiver — each a compare-and-swap on the
 * volume's status, so two requests cannot both win.
 */
import { sql, type Kysely } from 'kysely';
import { InvalidSnapshot, InvalidVolume, TransferNotFound } from '../../common/errors.js';
import type { Database, TransfersTable } from '../schema.js';
import { withDeadlockRetry } from '../retry.js';
import { isoNow } from '../../common/time.js';
import { paginate, withTieBreakers, type Db, type PageRequest } from './common.js';
import { volumeConditionalUpdate } from './volumes.js';

/** A live transfer row. */
export type TransferRecord = TransfersTable;

/** Columns of Cinder's `Transfer` model: the keys a list may filter and sort by. */
export const TRANSFER_COLUMNS = [
  'id',
  'volume_id',
  'display_name',
  'salt',
  'crypt_hash',
  'expires_at',
  'no_snapshots',
  'source_project_id',
  'destination_project_id',
  'accepted',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
] as const;

type TransferColumn = (typeof TRANSFER_COLUMNS)[number];

/**
 * One live transfer, or `TransferNotFound`. With `projectId` (a non-admin caller), only a transfer
 * of a volume that project owns is found (Cinder's `_transfer_get`).
 */
export async function transferGet(db: Db, id: string, projectId?: string | null): Promise<TransferRecord> {
  let q = db
    .selectFrom('transfers')
    .selectAll('transfers')
    .where('transfers.id', '=', id)
    .where('transfers.deleted', '=', 0);
  if (projectId)
    q = q
      .innerJoin('volumes', 'volumes.id', 'transfers.volume_id')
      .where('volumes.project_id', '=', projectId);
  const row = await q.executeTakeFirst();
  if (!row) throw new TransferNotFound(id);
  return row;
}

/** Filters of a transfer list. */
export interface TransferListFilters {
  /** Only transfers of volumes this project owns (null: every project). */
  projectId: string | null;
  /** Exact matches on transfer columns (values as the query string gave them). */
  columns: Partial<Record<TransferColumn, string | number>>;
}

/**
 * A page of live transfers in `sort` order (with `created_at`, `id` appended as tie-breakers, as
 * `paginate_query` does). A `marker` naming no transfer is `TransferNotFound`.
 */
export async function transferList(
  db: Db,
  f: TransferListFilters,
  page: PageRequest & { sort: { key: string; dir: 'asc' | 'desc' }[] },
): Promise<TransferRecord[]> {
  const sort = withTieBreakers(page.sort, ['created_at', 'id'], { key: 'created_at', dir: 'asc' });
  let q = db.selectFrom('transfers').selectAll('transfers').where('transfers.deleted', '=', 0);
  if (f.projectId)
    q = q
      .innerJoin('volumes', 'volumes.id', 'transfers.volume_id')
      .where('volumes.project_id', '=', f.projectId);
  for (const [col, val] of Object.entries(f.columns) as [TransferColumn, string | number][])
    q = q.where(sql.ref(`transfers.${col}`), '=', val);
  let marker: TransfersTable | undefined;
  if (page.marker) {
    marker = await db
      .selectFrom('transfers')
      .selectAll()
      .where('id', '=', page.marker)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!marker) throw new TransferNotFound(page.marker);
  }
  return paginate(q, 'transfers', sort, page, marker ?? null).execute();
}

/** Values of a new transfer row. */
export type TransferCreateValues = Pick<
  TransfersTable,
  'id' | 'volume_id' | 'display_name' | 'salt' | 'crypt_hash' | 'no_snapshots' | 'source_project_id'
>;

/**
 * Inserts a transfer and moves its volume `available` → `awaiting-transfer` in one transaction;
 * a volume no longer `available` is `InvalidVolume` and nothing is written.
 */
export async function transferCreate(
  db: Kysely<Database>,
  values: TransferCreateValues,
): Promise<TransferRecord> {
  const now = isoNow();
  const row: TransferRecord = {
    ...values,
    expires_at: null,
    destination_project_id: null,
    accepted: 0,
    created_at: now,
    updated_at: null,
    deleted_at: null,
    deleted: 0,
  };
  await db.transaction().execute(async (trx) => {
    const moved = await volumeConditionalUpdate(
      trx,
      values.volume_id,
      { status: 'awaiting-transfer' },
      { status: ['available'] },
    );
    if (!moved)
      throw new InvalidVolume(
        `Transfer ${values.id}: Volume id ${values.volume_id} expected in available state.`,
      );
    await trx.insertInto('transfers').values(row).execute();
  });
  return row;
}

/**
 * Soft-deletes a transfer and gives its volume back (`awaiting-transfer` → `available`; a volume in
 * another status is left as it is, as Cinder does).
 */
export async function transferDestroy(db: Kysely<Database>, transfer: TransferRecord): Promise<void> {
  const now = isoNow();
  await db.transaction().execute(async (trx) => {
    await volumeConditionalUpdate(
      trx,
      transfer.volume_id,
      { status: 'available' },
      { status: ['awaiting-transfer'] },
    );
    await trx
      .updateTable('transfers')
      .set({ deleted: 1, deleted_at: now })
      .where('id', '=', transfer.id)
      .where('deleted', '=', 0)
      .execute();
  });
}

/**
 * Gives the volume of `transfer` — and, unless `no_snapshots`, its snapshots — to `userId` in
 * `projectId`, and marks the transfer accepted (and soft-deleted), all in one transaction. The
 * volume must still be `awaiting-transfer` (`InvalidVolume`) and each snapshot `available`
 * (`InvalidSnapshot`); otherwise nothing changes.
 */
export async function transferAccept(
  db: Kysely<Database>,
  transfer: TransferRecord,
  userId: string | null,
  projectId: string | null,
): Promise<void> {
  const now = isoNow();
  // NOTE: volume row first, then snapshot rows in creation order: the same order every time.
  await withDeadlockRetry(() =>
    db.transaction().execute(async (trx) => {
      const moved = await volumeConditionalUpdate(
        trx,
        transfer.volume_id,
        { status: 'available', user_id: userId, project_id: projectId },
        { status: ['awaiting-transfer'] },
      );
      if (!moved)
        throw new InvalidVolume(
          `Transfer ${transfer.id}: Volume id ${transfer.volume_id} expected in awaiting-transfer state.`,
        );
      if (!transfer.no_snapshots) {
        const snapshots = await trx
          .selectFrom('snapshots')
          .select('id')
          .where('volume_id', '=', transfer.volume_id)
          .where('deleted', '=', 0)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        for (const s of snapshots) {
          const res = await trx
            .updateTable('snapshots')
            .set({ user_id: userId, project_id: projectId, updated_at: now })
            .where('id', '=', s.id)
            .where('deleted', '=', 0)
            .where('status', '=', 'available')
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) === 0)
            throw new InvalidSnapshot(
              `Transfer ${transfer.id}: Snapshot ${s.id} is not in the expected available state.`,
            );
        }
      }
      await trx
        .updateTable('transfers')
        .set({ deleted: 1, deleted_at: now, destination_project_id: projectId, accepted: 1 })
        .where('id', '=', transfer.id)
        .execute();
    }),
  );
}

/** Live snapshots of a volume: what a transfer with snapshots moves. */
export async function transferableSnapshots(
  db: Db,
  volumeId: string,
): Promise<{ id: string; status: string; volume_size: number }[]> {
  return db
    .selectFrom('snapshots')
    .select(['id', 'status', 'volume_size'])
    .where('volume_id', '=', volumeId)
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
