import type BetterSqlite3 from 'better-sqlite3';

/** The `PRAGMA synchronous` levels Kindling accepts: FULL (durable, the default) or NORMAL. */
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** How the SQLite connection is set up; the same on the main thread and in the worker. */
export interface SqliteSetup {
  /** Database file, or `:memory:`. */
  readonly filename: string;
  readonly synchronous: SqliteSynchronous;
}

/**
 * Validates a `synchronous` level given as an option or in `KINDLING_SQLITE_SYNC`. Unset means FULL.
 * OFF (and anything else) is refused: a create answered with 202 must survive a power loss, and
 * NORMAL in WAL mode only risks the last commits on power loss, never corruption.
 */
export function parseSqliteSynchronous(value: string | undefined): SqliteSynchronous {
  if (value === undefined || value.trim() === '') return 'FULL';
  const v = value.trim().toUpperCase();
  if (v === 'FULL' || v === 'NORMAL') return v;
  throw new Error(`Unsupported SQLite synchronous level "${value}": use FULL or NORMAL`);
}

/**
 * kysely's SQLite driver prepares every query anew; preparing costs as much as running a small
 * query, so keep the statements of the (few hundred) distinct SQL texts Kindling issues.
 */
export function cachePreparedStatements(sqlite: { prepare: (sql: string) => unknown }): void {
  const cache = new Map<string, unknown>();
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (stmt === undefined) {
      stmt = prepare(sql);
      if (cache.size >= 1000) cache.clear();
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** Opens and configures a better-sqlite3 connection: WAL, `synchronous`, busy timeout, statement cache. */
export function openSqlite(SQLite: typeof BetterSqlite3, setup: SqliteSetup): BetterSqlite3.Database {
  const sqlite = new SQLite(setup.filename);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${setup.synchronous}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = OFF');
  cachePreparedStatements(sqlite);
  return sqlite;
}
