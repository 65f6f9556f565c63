import { Kysely, SqliteDialect, type Dialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database } from './schema.js';
import type { DialectName } from './dialect-name.js';
import { envSwitch } from './env-switch.js';
import { GroupCommitSqliteDialect } from './group-commit-sqlite.js';
import { observedDialect, type DatabaseObserver } from './observed-dialect.js';
import { openMysqlDialect, openPostgresDialect, type ServerPoolOptions } from './server-dialects.js';
import { openSqlite, parseSqliteSynchronous, type SqliteSynchronous } from './sqlite-worker/sqlite-setup.js';

/** An open database: the query builder plus which engine it talks to. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  close(): Promise<void>;
  /**
   * Resolves once every commit made so far through this handle is durable. Only SQLite with
   * group commit acknowledges a commit before that (reads do not wait either); the API waits
   * here before every answer, so nothing not yet durable is ever shown or acknowledged.
   */
  durable(): Promise<void>;
  /**
   * SQLite only: every transaction already holds the database write lock from its start (group
   * commit begins with `BEGIN IMMEDIATE`), so {@link sqliteWriteLock} has nothing to do.
   */
  readonly transactionsHoldWriteLock?: boolean;
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

/** Options for {@link openDatabase}; each falls back to an environment variable, then a default. */
export interface OpenDatabaseOptions extends ServerPoolOptions {
  /**
   * SQLite only: run better-sqlite3 on a worker thread (`sqlite-worker/`), so statements, commits
   * and their fsyncs do not block the event loop. Env `KINDLING_SQLITE_WORKER=1` turns it on
   * (`=0` off). Default: off — on the create-volume benchmark the round trips to the worker inside
   * transactions cost more than the fsyncs it takes off the main thread.
   */
  sqliteWorker?: boolean;
  /**
   * SQLite only: `PRAGMA synchronous`, FULL (durable, the default) or NORMAL (WAL: the last
   * commits may be lost on power loss). Env `KINDLING_SQLITE_SYNC`. Anything else (OFF) is refused.
   */
  sqliteSynchronous?: SqliteSynchronous;
  /** Told how long every statement and transaction took (the metrics; unset: nothing is timed). */
  observer?: DatabaseObserver;
  /**
   * SQLite only (main-thread driver): group commit (`group-commit-sqlite.ts`): logical
   * transactions share physical commits, each acknowledged only after the commit that made it
   * durable. Env `KINDLING_SQLITE_GROUP_COMMIT=0` turns it off (kysely's own driver, one commit
   * per transaction). Default: on.
   */
  sqliteGroupCommit?: boolean;
}

async function openSqliteDialect(target: string, opts: OpenDatabaseOptions): Promise<Dialect> {
  const synchronous = parseSqliteSynchronous(opts.sqliteSynchronous ?? process.env.KINDLING_SQLITE_SYNC);
  if (target !== ':memory:') mkdirSync(dirname(resolve(target)), { recursive: true });
  if (opts.sqliteWorker ?? envSwitch('KINDLING_SQLITE_WORKER', false)) {
    const { WorkerSqliteDialect } = await import('./sqlite-worker/worker-sqlite-dialect.js');
    return new WorkerSqliteDialect({ filename: target, synchronous });
  }
  const { default: SQLite } = await import('better-sqlite3');
  // NOTE: durable commits (FULL) by default: a create that returned 202 must survive a crash.
  if (!(opts.sqliteGroupCommit ?? envSwitch('KINDLING_SQLITE_GROUP_COMMIT', true))) {
    return new SqliteDialect({ database: openSqlite(SQLite, { filename: target, synchronous }) });
  }
  // NOTE: FULL on a file database: SQLite writes each commit's WAL frames (NORMAL) and the
  // group-commit driver syncs the WAL itself, off the event loop, before acknowledging anything.
  const ownSync = synchronous === 'FULL' && target !== ':memory:' && target !== '';
  const database = openSqlite(SQLite, { filename: target, synchronous: ownSync ? 'NORMAL' : synchronous });
  const walSyncPath =
    ownSync && String(database.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal'
      ? `${resolve(target)}-wal`
      : undefined;
  if (ownSync && walSyncPath === undefined) database.pragma('synchronous = FULL');
  return new GroupCommitSqliteDialect({ database, walSyncPath, readsWaitForDurability: false });
}

/** Opens the database named by `connection`; drivers are loaded only for the engine used. */
export async function openDatabase(
  connection: string,
  opts: OpenDatabaseOptions = {},
): Promise<DatabaseHandle> {
  const { dialect, target } = parseConnectionUrl(connection);
  let kdialect: Dialect;
  if (dialect === 'sqlite') {
    kdialect = await openSqliteDialect(target, opts);
  } else if (dialect === 'postgres') {
    kdialect = await openPostgresDialect(target, opts);
  } else {
    kdialect = await openMysqlDialect(target, opts);
  }
  const groupCommit = kdialect instanceof GroupCommitSqliteDialect ? kdialect : undefined;
  if (opts.observer) kdialect = observedDialect(kdialect, opts.observer);
  const db = new Kysely<Database>({ dialect: kdialect });
  const durable = groupCommit ? () => groupCommit.durable() : () => Promise.resolve();
  return {
    db,
    dialect,
    close: () => db.destroy(),
    durable,
    transactionsHoldWriteLock: groupCommit !== undefined,
  };
}
