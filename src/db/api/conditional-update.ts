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
 * A further condition of a conditional update, named: the queries it is part of are built once per
 * name (src/db/prepared-query.ts), so `where` must give the same expression at every call.
 */
export interface NamedCondition<T extends ResourceTable> {
  readonly name: string;
  readonly where: (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>;
}

/** A column's condition: `[column, the values it may hold, or NULL too]`. */
type Allowed = readonly [column: string, values: readonly unknown[], orNull: boolean];

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
  also?: NamedCondition<T>,
): Promise<boolean> {
  const set: Record<string, unknown> = { ...values, updated_at: isoNow() };
  const allowed: Allowed[] = (Object.entries(expected) as [string, (string | number | null)[]][]).map(
    ([col, vs]) => [col, vs.filter((v) => v !== null), vs.includes(null)],
  );
  const condition = also as NamedCondition<ResourceTable> | undefined;
  // NOTE: a prepared query binds every value as a parameter; a value that is an object (an
  // expression) is left to a query built for this call.
  if (!Object.values(set).every(isPlain) || !allowed.every(([, vs]) => vs.every(isPlain))) {
    const res = await casUpdate(db, table, id, set, allowed, condition).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
  const v: Record<string, unknown> = { row_id: id };
  for (const col in set) v[`set:${col}`] = set[col];
  for (const [col, vs] of allowed) v[`in:${col}`] = vs;
  const nullable = allowed.filter(([, , orNull]) => orNull).map(([col]) => col);
  const res = await casQuery(casKey(table, condition, nullable))(db, v);
  return Number(res.numAffectedRows) > 0;
}

function isPlain(v: unknown): boolean {
  return v === null || (typeof v !== 'object' && typeof v !== 'function');
}

/** The update of live row `rowId` of `table`, applied only while `allowed` and `also` hold. */
function casUpdate(
  db: Db,
  table: ResourceTable,
  rowId: unknown,
  set: Record<string, unknown>,
  allowed: readonly Allowed[],
  also: NamedCondition<ResourceTable> | undefined,
) {
  // NOTE: the builder is typed for the union of tables (a generic table name defeats its types).
  let q = db
    .updateTable(table)
    .set(set as never)
    .where('id', '=', rowId as string)
    .where('deleted', '=', 0);
  for (const [col, nonNull, orNull] of allowed) {
    const column = col as keyof Database[ResourceTable];
    q = q.where((eb) => {
      const parts: Expression<SqlBool>[] = [];
      if (nonNull.length) parts.push(eb(column, 'in', nonNull as never[]));
      if (orNull) parts.push(eb(column, 'is', null));
      return eb.or(parts);
    });
  }
  return also ? q.where(also.where) : q;
}

/** What a prepared conditional update's text depends on besides its shape. */
interface CasKey {
  readonly table: ResourceTable;
  readonly also: NamedCondition<ResourceTable> | undefined;
  readonly nullable: ReadonlySet<string>;
}

const casKeys = new Map<string, CasKey>();

/** The one key of a table, condition and set of columns that may be NULL. */
function casKey(
  table: ResourceTable,
  also: NamedCondition<ResourceTable> | undefined,
  nullable: string[],
): CasKey {
  const name = `${table}|${also?.name ?? ''}|${nullable.join(',')}`;
  let key = casKeys.get(name);
  if (key === undefined) casKeys.set(name, (key = { table, also, nullable: new Set(nullable) }));
  return key;
}

/** Per key, the conditional update whose values are `set:<column>`, `in:<column>` and `row_id`. */
const casQuery = preparedQueries((k: CasKey) => (db: Db, v: Record<string, unknown>) => {
  const set: Record<string, unknown> = {};
  const allowed: Allowed[] = [];
  for (const name in v) {
    if (name.startsWith('set:')) set[name.slice(4)] = v[name];
    else if (name.startsWith('in:')) {
      const col = name.slice(3);
      allowed.push([col, v[name] as unknown[], k.nullable.has(col)]);
    }
  }
  return casUpdate(db, k.table, v.row_id, set, allowed, k.also);
});

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
