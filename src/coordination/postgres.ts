import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import type { Logger } from 'pino';
import { pollUntil } from './coordinator.js';
import { DistributedCoordinator } from './distributed.js';
import type { ConnectionLost, RemoteHold } from './distributed.js';

/** The advisory lock key of a name: the first 8 bytes of its SHA-256, as a signed bigint (decimal). */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest().readBigInt64BE(0).toString();
}

/**
 * Locks as PostgreSQL session advisory locks (`backend_url = postgresql://…`), the way tooz's pgsql
 * driver takes them: on one dedicated connection, so a holder that dies frees its locks with its
 * session.
 *
 * NOTE: always `pg_try_advisory_lock`, polled: a blocking `pg_advisory_lock` would occupy the only
 * connection, and the release of another lock held here would queue behind it.
 */
export class PostgresCoordinator extends DistributedCoordinator {
  readonly #connectionString: string;
  #client: Client | null = null;

  /** `url` is a libpq URL; a SQLAlchemy driver suffix (`postgresql+psycopg2://`) is accepted. */
  constructor(url: string, log: Logger) {
    super(log.child({ coordination: 'postgres' }));
    this.#connectionString = url.replace(/^postgres(?:ql)?\+[a-z0-9_]+:/i, 'postgresql:');
  }

  protected override async openConnection(lost: ConnectionLost): Promise<void> {
    // NOTE: the driver is loaded on first use, so embedded mode never pays for it.
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: 'kindling-coordination',
    });
    const drop = (reason: unknown): void => {
      if (this.#client === client) this.#client = null;
      client.end().catch(() => {});
      lost(reason);
    };
    // NOTE: without an 'error' listener a dropped connection would crash the process.
    client.on('error', drop);
    client.on('end', () => drop(new Error('connection to PostgreSQL ended')));
    await client.connect();
    this.#client = client;
  }

  protected override async closeConnection(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    await client?.end();
  }

  protected override async acquireRemote(name: string, deadline: number): Promise<RemoteHold | null> {
    const client = this.#client;
    if (!client) throw new Error('PostgreSQL coordination connection is not open');
    const key = advisoryLockKey(name);
    const attempt = async (): Promise<boolean> => {
      const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      return res.rows[0]?.ok === true;
    };
    if (!(await pollUntil(attempt, deadline))) return null;
    return {
      release: async () => {
        const res = await client.query<{ ok: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS ok', [key]);
        if (res.rows[0]?.ok !== true) this.log.warn({ lock: name }, 'advisory lock %s was not held', name);
      },
    };
  }
}
