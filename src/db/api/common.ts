import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { isoNow } from '../time.js';

/** Either the database or a transaction on it: every db/api function accepts both. */
export type Db = Kysely<Database> | Transaction<Database>;

/** Columns that mark a row soft-deleted, as Cinder's `soft_delete` does. */
export function softDeleteValues(now = isoNow()): { deleted: 1; deleted_at: string; updated_at: string } {
  return { deleted: 1, deleted_at: now, updated_at: now };
}

/** Rows of a key/value table → `{key: value}`. */
export function toDict(rows: readonly { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) out[r.key] = r.value;
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
