/**
 * The rows of a better-sqlite3 reader statement as objects, built in JavaScript from its raw
 * (array) rows. better-sqlite3 builds each row object in C++ one property at a time, which for
 * wide rows (a volume has 36 columns) costs about twice as much as fetching the values as arrays
 * and assigning them here, where V8 sees the same keys in the same order on every row.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** Each reader statement's result column names, as better-sqlite3 would key its row objects. */
const namesOf = new WeakMap<BetterSqlite3.Statement, readonly string[]>();

function columnNames(stmt: BetterSqlite3.Statement): readonly string[] {
  const names = stmt.columns().map((c) => c.name);
  namesOf.set(stmt, names);
  return names;
}

/**
 * `stmt.all(parameters)`: the same objects (same keys in the same order, a later column of a
 * duplicated name winning), built faster. The statement is left in object mode.
 */
export function allRows<R>(stmt: BetterSqlite3.Statement, parameters: readonly unknown[]): R[] {
  let raw: unknown[][];
  try {
    raw = stmt.raw(true).all(parameters) as unknown[][];
  } finally {
    stmt.raw(false);
  }
  let names = namesOf.get(stmt) ?? columnNames(stmt);
  // NOTE: a schema change re-prepares the statement inside SQLite, and `*` may then name other
  // columns: read the names again when the width differs.
  if (raw.length > 0 && raw[0]!.length !== names.length) names = columnNames(stmt);
  const rows = new Array<R>(raw.length);
  for (let r = 0; r < raw.length; r++) {
    const values = raw[r]!;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
    rows[r] = row as R;
  }
  return rows;
}
