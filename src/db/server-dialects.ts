import { MysqlDialect, PostgresDialect, type Dialect } from 'kysely';
import { ConfigError } from '../common/errors.js';
import { envSwitch } from './env-switch.js';
import { nameStatements } from './pg-named-statements.js';

/** Pool settings of the server engines (cinder.conf `[database] max_pool_size`). */
export interface ServerPoolOptions {
  /**
   * PostgreSQL/MySQL only: most connections the pool keeps open (oslo.db's `max_pool_size`,
   * default 5). Env `KINDLING_DB_MAX_POOL_SIZE` when not given.
   */
  maxPoolSize?: number;
}

/** oslo.db's default `max_pool_size`. */
export const DEFAULT_MAX_POOL_SIZE = 5;

/** The pool size to use: the option, else `KINDLING_DB_MAX_POOL_SIZE`, else 5. Throws when not a positive integer. */
export function resolveMaxPoolSize(opts: ServerPoolOptions): number {
  const env = process.env.KINDLING_DB_MAX_POOL_SIZE?.trim();
  const n = opts.maxPoolSize ?? (env ? Number(env) : DEFAULT_MAX_POOL_SIZE);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`[database] max_pool_size must be a positive integer, got ${String(n)}`);
  return n;
}

/** Connection settings for mysql2, from a `mysql://user:pass@host:port/db?unix_socket=…` URL. */
export interface MysqlConnectionSettings {
  host?: string;
  port?: number;
  socketPath?: string;
  user?: string;
  password?: string;
  database?: string;
}

/**
 * Reads what mysql2 needs from a SQLAlchemy-style MySQL URL. Query parameters meant for PyMySQL
 * (`charset=utf8`, `read_default_file`, …) are not passed on: mysql2 would let them override our
 * options, and `charset=utf8` (3-byte utf8) would refuse 4-byte characters. Only `unix_socket` is kept.
 */
export function mysqlSettingsFromUrl(target: string): MysqlConnectionSettings {
  const u = new URL(target);
  const out: MysqlConnectionSettings = {};
  if (u.hostname) out.host = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, ''));
  if (u.port) out.port = Number(u.port);
  if (u.username) out.user = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (db) out.database = db;
  const socket = u.searchParams.get('unix_socket');
  if (socket) out.socketPath = socket;
  return out;
}

/** A kysely dialect over a `pg` pool for a `postgresql://…` connection string. */
export async function openPostgresDialect(target: string, opts: ServerPoolOptions): Promise<Dialect> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: target, max: resolveMaxPoolSize(opts) });
  // NOTE: an idle pooled client whose server connection drops emits 'error' on the pool; without
  // a listener that would crash the process. The pool discards the client; the next query reconnects.
  pool.on('error', () => {});
  // NOTE: a client checked out of the pool has no such listener (the pool removes its own while
  // the client is lent): a connection dropped between two statements of a transaction (a database
  // restart, pg_terminate_backend) would crash the process. The statement in flight fails, and the
  // pool discards the broken client when it is released.
  const named = envSwitch('KINDLING_PG_NAMED_STATEMENTS', true);
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (named) nameStatements(client);
  });
  return new PostgresDialect({ pool });
}

/** A kysely dialect over a `mysql2` pool (MySQL or MariaDB), always speaking utf8mb4. */
export async function openMysqlDialect(target: string, opts: ServerPoolOptions): Promise<Dialect> {
  const mysql = await import('mysql2');
  const pool = mysql.createPool({
    ...mysqlSettingsFromUrl(target),
    connectionLimit: resolveMaxPoolSize(opts),
    charset: 'utf8mb4',
    // NOTE: DECIMAL results (SUM) come back as strings; callers wrap aggregates in Number().
  });
  return new MysqlDialect({ pool });
}
