/**
 * Updates of one live row of a resource table by id, plain or as Cinder's `conditional_update`
 * (compare-and-swap): the values are written only while the row still matches what the caller saw.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Db } from './common.js';
import type { Bool, Database } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { preparedQueries } from '../prepared-query.js';

/** Soft-deleted tables keyed by a string `id` (volumes, snapshots, …). */
export type ResourceTable = {
  [T in keyof Database]: Database[T] extends { id: string; updated_at: string | null; deleted: Bool }
    ? T
    : never;
}[keyof Database];

/** Column → the values it may hold for the update to apply (`null` matches NULL). */
export type Expected<T extends ResourceTable> = Partial<
  Record<keyof Database[T], readonly (string | number | null)[]>
>;

/**
 * Applies `values` (and a fresh `updated_at`) to live row `id` only while each `expected` column
 * holds one of its values and `also`, when given, is true for the row. Returns whether it did.
 */
export async function conditionalUpdate<T extends ResourceTable>(
  db: Db,
  table: T,
  id: string,
  values: Partial<Database[T]>,
  expected: Expected<T>,
  also?: (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>,
): Promise<boolean> {
  // NOTE: the builder is typed for the union of tables (a generic table name defeats its types).
  const anyTable: ResourceTable = table;
  let q = db
    .updateTable(anyTable)
    .set({ ...values, updated_at: isoNow() })
    .where('id', '=', id)
    .where('deleted', '=', 0);
  for (const [col, allowed] of Object.entries(expected) as [
    keyof Database[ResourceTable],
    (string | number | null)[],
  ][]) {
    const nonNull = allowed.filter((v) => v !== null);
    const hasNull = allowed.length !== nonNull.length;
    q = q.where((eb) => {
      const parts: Expression<SqlBool>[] = [];
      if (nonNull.length) parts.push(eb(col, 'in', nonNull as never[]));
      if (hasNull) parts.push(eb(col, 'is', null));
      return eb.or(parts);
    });
  }
  // NOTE: `also` was written for `table` itself.
  if (also)
    q = q.where(also as unknown as (eb: ExpressionBuilder<Database, ResourceTable>) => Expression<SqlBool>);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Per table, an update of one live row: `row_id` names it, every other value is a column's. */
const updateLiveRow = preparedQueries(
  (table: ResourceTable) => (db: Db, v: { row_id: string } & Partial<Database[ResourceTable]>) => {
    const { row_id, ...columns } = v;
    return db.updateTable(table).set(columns).where('id', '=', row_id).where('deleted', '=', 0);
  },
);

/** Applies `values` (and a fresh `updated_at`) to live row `id`; returns whether a row changed. */
export async function rowUpdate<T extends ResourceTable>(
  db: Db,
  table: T,
  id: string,
  values: Partial<Database[T]>,
): Promise<boolean> {
  const res = await updateLiveRow(table)(db, { ...values, updated_at: isoNow(), row_id: id });
  return Number(res.numAffectedRows) > 0;
}
