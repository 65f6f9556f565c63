import { createHash } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Logger } from 'pino';
import { mysqlSettingsFromUrl } from '../db/server-dialects.js';
import { pollUntil } from './coordinator.js';
import { DistributedCoordinator } from './distributed.js';
import type { ConnectionLost, RemoteHold } from './distributed.js';

/** MySQL's limit on `GET_LOCK` names. */
const MAX_LOCK_NAME = 64;

/** The `GET_LOCK` name for `name`: itself, or its SHA-256 in hex (64 characters) when longer than 64. */
export function mysqlLockName(name: string): string {
  return name.length <= MAX_LOCK_NAME ? name : createHash('sha256').update(name, 'utf8').digest('hex');
}

/**
 * Locks as MySQL/MariaDB user locks (`backend_url = mysql://…` or `mysql+pymysql://…`), like
 * tooz's mysql driver: `GET_LOCK`/`RELEASE_LOCK` on one dedicated connection, so a holder that dies
 * frees its locks with its session.
 *
 * NOTE: always `GET_LOCK(name, 0)`, polled: a waiting `GET_LOCK` would occupy the only connection,
 * and the release of another lock held here would queue behind it.
 */
export class MysqlCoordinator extends DistributedCoordinator {
  readonly #url: string;
  #conn: Connection | null = null;

  /** `url` is a SQLAlchemy-style MySQL URL (`mysql+pymysql://user:pass@host:port/db`). */
  constructor(url: string, log: Logger) {
    super(log.child({ coordination: 'mysql' }));
    this.#url = url.replace(/^mysql\+[a-z0-9_]+:/i, 'mysql:');
  }

  protected override async openConnection(lost: ConnectionLost): Promise<void> {
    // NOTE: the driver is loaded on first use, so embedded mode never pays for it.
    const { default: mysql } = await import('mysql2/promise');
    const conn = await mysql.createConnection({ ...mysqlSettingsFromUrl(this.#url), charset: 'utf8mb4' });
    let dropped = false;
    const drop = (reason: unknown): void => {
      if (dropped) return;
      dropped = true;
      if (this.#conn === conn) this.#conn = null;
      conn.destroy();
      lost(reason);
    };
    // NOTE: without an 'error' listener a dropped connection would crash the process.
    conn.on('error', drop);
    conn.on('end', () => drop(new Error('connection to MySQL ended')));
    this.#conn = conn;
  }

  protected override async closeConnection(): Promise<void> {
    const conn = this.#conn;
    this.#conn = null;
    await conn?.end();
  }

  protected override async acquireRemote(name: string, deadline: number): Promise<RemoteHold | null> {
    const conn = this.#conn;
    if (!conn) throw new Error('MySQL coordination connection is not open');
    const lockName = mysqlLockName(name);
    const attempt = async (): Promise<boolean> => {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS ok', [lockName]);
      const ok: unknown = rows[0]?.ok;
      if (ok === null || ok === undefined) throw new Error(`GET_LOCK(${lockName}) failed`);
      return Number(ok) === 1;
    };
    if (!(await pollUntil(attempt, deadline))) return null;
    return {
      release: async () => {
        const [rows] = await conn.query<RowDataPacket[]>('SELECT RELEASE_LOCK(?) AS ok', [lockName]);
        if (Number(rows[0]?.ok) !== 1) this.log.warn({ lock: name }, 'user lock %s was not held', name);
      },
    };
  }
}
