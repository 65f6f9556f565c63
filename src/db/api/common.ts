import {
  sql,
  type ExpressionBuilder,
  type Expression,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { Database } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { setKey } from '../../common/dict.js';

/** Either the database or a transaction on it: every db/api function accepts both. */
export type Db = Kysely<Database> | Transaction<Database>;

/** Columns that mark a row soft-deleted, as Cinder's `soft_delete` does. */
export function softDeleteValues(now = isoNow()): { deleted: 1; deleted_at: string; updated_at: string } {
  return { deleted: 1, deleted_at: now, updated_at: now };
}

/** Rows of a key/value table → `{key: value}`. */
export function toDict(rows: readonly { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) setKey(out, r.key, r.value);
  return out;
}

/** Rows of several owners → `{key: value}` per owner, in row order. */
export function groupMetadata(
  rows: readonly { owner: string; key: string; value: string }[],
): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const r of rows) {
    const d = out.get(r.owner) ?? {};
    setKey(d, r.key, r.value);
    out.set(r.owner, d);
  }
  return out;
}

/** A sort request: column and direction, already mapped to column names. */
export interface SortSpec {
  key: string;
  dir: 'asc' | 'desc';
}

/** Pagination request shared by list queries (Cinder's `paginate_query` inputs). */
export interface PageRequest {
  marker?: string | null;
  limit?: number | null;
  offset?: number | null;
  sort?: SortSpec[];
}

/**
 * The keyset condition of `paginate_query`: rows strictly after `marker` in `sort` order —
 * `(k1 > m1) OR (k1 = m1 AND k2 > m2) OR …` (`<` for descending keys). A null marker value is
 * matched with `IS NULL` for equality and gives no "after" term of its own.
 * NOTE: `k1 >= m1 AND (…)` (`<=` for a descending k1) when m1 is not null: every row the terms
 * select has it already, but only this form lets the engines seek an index on k1 to the marker;
 * with the bare OR, each next page read the list's index from its start.
 */
export function keysetAfter<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  table: string,
  sort: readonly SortSpec[],
  marker: Readonly<Record<string, unknown>>,
): Expression<SqlBool> {
  const ors: Expression<SqlBool>[] = [];
  for (let i = 0; i < sort.length; i++) {
    const ands: Expression<SqlBool>[] = [];
    for (const prev of sort.slice(0, i)) {
      const mv = marker[prev.key];
      ands.push(
        mv === null
          ? eb(sql.ref(`${table}.${prev.key}`), 'is', null)
          : eb(sql.ref(`${table}.${prev.key}`), '=', mv),
      );
    }
    const s = sort[i]!;
    const mv = marker[s.key];
    if (mv === null) continue;
    ands.push(eb(sql.ref(`${table}.${s.key}`), s.dir === 'asc' ? '>' : '<', mv));
    ors.push(eb.and(ands));
  }
  const first = sort[0];
  const m1 = first === undefined ? null : marker[first.key];
  if (first === undefined || m1 === null || m1 === undefined) return eb.or(ors);
  return eb.and([eb(sql.ref(`${table}.${first.key}`), first.dir === 'asc' ? '>=' : '<=', m1), eb.or(ors)]);
}

/**
 * `paginate_query`'s sort keys: the requested ones (`fallback` when none), then each of
 * `tieBreakers` not among them, in the first key's direction, so that the order is total.
 */
export function withTieBreakers(
  sort: readonly SortSpec[] | undefined,
  tieBreakers: readonly string[],
  fallback: SortSpec = { key: 'created_at', dir: 'desc' },
): SortSpec[] {
  const out = [...(sort?.length ? sort : [fallback])];
  const dir = out[0]!.dir;
  for (const key of tieBreakers) if (!out.some((s) => s.key === key)) out.push({ key, dir });
  return out;
}

/**
 * The rest of `paginate_query` on a list query of `table`: only rows after `marker` (a row of the
 * table, already looked up) in `sort` order, sorted so, then `page`'s limit and offset.
 */
export function paginate<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  table: string,
  sort: readonly SortSpec[],
  page: PageRequest,
  marker: object | null,
): SelectQueryBuilder<DB, TB, O> {
  if (marker) q = q.where((eb) => keysetAfter(eb, table, sort, marker as Record<string, unknown>));
  for (const s of sort) q = q.orderBy(sql.ref(`${table}.${s.key}`), s.dir);
  const limited = page.limit !== undefined && page.limit !== null;
  if (limited) q = q.limit(page.limit!);
  if (page.offset) {
    // NOTE: SQLite and MySQL want a LIMIT before OFFSET.
    if (!limited) q = q.limit(2 ** 31 - 1);
    q = q.offset(page.offset);
  }
  return q;
}

/**
 * A list's marker as `paginate` wants it: the sort-key values of the live row `id` of `table`, or
 * undefined when there is none (the caller raises its resource's error). `nullAsEmpty`: a null
 * value compares as '' (the lists that page past null columns that way).
 */
export async function markerSortValues(
  db: Db,
  table: string,
  id: string,
  sort: readonly SortSpec[],
  nullAsEmpty = false,
): Promise<Record<string, unknown> | undefined> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT * FROM ${sql.table(table)} WHERE id = ${id} AND deleted = 0`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return Object.fromEntries(sort.map((k) => [k.key, nullAsEmpty ? (row[k.key] ?? '') : row[k.key]]));
}
