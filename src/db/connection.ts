import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type Dialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database } from './schema.js';
import type { DialectName } from './dialect-name.js';

/** An open database: the query builder plus which engine it talks to. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  close(): Promise<void>;
}

/**
 * Parses a cinder.conf `[database] connection` URL. Accepts Cinder's SQLAlchemy forms:
 * `sqlite:///relative.db`, `sqlite:////abs/path.db`, `postgresql[+psycopg2]://…`,
 * `mysql[+pymysql]://…`.
 */
export function parseConnectionUrl(url: string): { dialect: DialectName; target: string } {
  const m = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(url.trim());
  if (!m) throw new Error(`Unsupported [database] connection URL: ${url}`);
  const scheme = m[1]!.toLowerCase();
  const rest = m[3]!;
  if (scheme === 'sqlite') {
    // sqlite:///x → path "x"; sqlite:////abs → "/abs"
    const path = rest.startsWith('/') ? rest.slice(1) : rest;
    return { dialect: 'sqlite', target: path === '' ? ':memory:' : path };
  }
  if (scheme === 'postgresql' || scheme === 'postgres')
    return { dialect: 'postgres', target: `postgresql://${rest}` };
  if (scheme === 'mysql' || scheme === 'mariadb') return { dialect: 'mysql', target: `mysql://${rest}` };
  throw new Error(`Unsupported database engine in [database] connection: ${scheme}`);
}

/**
 * kysely's SQLite driver prepares every query anew; preparing costs as much as running a small
 * query, so keep the statements of the (few hundred) distinct SQL texts Kindling issues.
 */
function cachePreparedStatements(sqlite: { prepare: (sql: string) => unknown }): void {
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

/** Opens the database named by `connection`; drivers are loaded only for the engine used. */
export async function openDatabase(connection: string): Promise<DatabaseHandle> {
  const { dialect, target } = parseConnectionUrl(connection);
  let kdialect: Dialect;
  if (dialect === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    if (target !== ':memory:') mkdirSync(dirname(resolve(target)), { recursive: true });
    const sqlite = new SQLite(target);
    sqlite.pragma('journal_mode = WAL');
    // NOTE: durable commits (FULL), not OFF/NORMAL: a create that returned 202 must survive a crash.
    sqlite.pragma(`synchronous = ${process.env.KINDLING_SQLITE_SYNC ?? 'FULL'}`);
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = OFF');
    cachePreparedStatements(sqlite);
    kdialect = new SqliteDialect({ database: sqlite });
  } else if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    kdialect = new PostgresDialect({ pool: new pg.Pool({ connectionString: target, max: 10 }) });
  } else {
    const mysql = await import('mysql2');
    kdialect = new MysqlDialect({ pool: mysql.createPool({ uri: target, connectionLimit: 10 }) });
  }
  const db = new Kysely<Database>({ dialect: kdialect });
  return { db, dialect, close: () => db.destroy() };
}
