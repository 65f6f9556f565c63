import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/**
 * MySQL/MariaDB collations that compare strings byte for byte and without padding, best first.
 * NOTE: the server defaults (`utf8mb4_general_ci`, `utf8mb4_unicode_ci`) make `name = 'abc'` match
 * 'ABC' and 'abc ' — unlike SQLite and PostgreSQL. Kindling wants one behaviour on every engine, so
 * its tables use a binary NO PAD collation: case-sensitive, trailing spaces significant, ordering by
 * code point (as SQLite's BINARY and PostgreSQL's "C"). Cinder itself works around the same issue
 * for hosts with `BINARY` comparisons (`_filter_host`). `utf8mb4_bin` (PAD SPACE) is the fallback
 * for servers that have neither.
 */
const BINARY_COLLATIONS = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin'] as const;

/** The binary collation this MySQL/MariaDB server offers (see BINARY_COLLATIONS). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function mysqlBinaryCollation(db: Kysely<any>): Promise<string> {
  const rows = await sql<{ name: string }>`
    SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS
    WHERE COLLATION_NAME IN (${sql.join([...BINARY_COLLATIONS])})`.execute(db);
  const have = new Set(rows.rows.map((r) => r.name));
  return BINARY_COLLATIONS.find((c) => have.has(c)) ?? 'utf8mb4_bin';
}

/** `createTable` with the table options Kindling wants on `dialect` (InnoDB, utf8mb4, binary on MySQL). */
export type TableFactory = (name: string) => CreateTableBuilder<string, never>;

/** A {@link TableFactory} for a migration; asks a MySQL server once which collation it has. */
export async function tableFactory(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  dialect: DialectName,
): Promise<TableFactory> {
  if (dialect !== 'mysql') return (name) => db.schema.createTable(name);
  const collation = await mysqlBinaryCollation(db);
  const options = sql.raw(`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`);
  return (name) => db.schema.createTable(name).modifyEnd(options);
}
