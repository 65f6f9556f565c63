import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type { WorkerResponse } from './protocol.js';
import { reviveBlobs, reviveError } from './revive.js';
import type { WorkerChannel } from './worker-channel.js';

/**
 * One kysely connection to the SQLite worker: a lease on its single database connection. The
 * worker runs a lease's statements in order and, while the lease has a transaction open, no other
 * lease's. Results are shaped as kysely's SqliteDriver shapes them (`numAffectedRows`, `insertId`
 * as bigint).
 */
export class WorkerSqliteConnection implements DatabaseConnection {
  /** Identifies this lease to the worker. */
  readonly lease: number;
  /** `deferred`: begun, `begin` not yet sent; `open`: sent, not yet committed or rolled back. */
  #transaction: 'none' | 'deferred' | 'open' = 'none';
  readonly #channel: WorkerChannel;

  constructor(channel: WorkerChannel, lease: number) {
    this.#channel = channel;
    this.lease = lease;
  }

  /** Whether a `begin` went out and neither `commit` nor `rollback` has succeeded since. */
  get transactionOpen(): boolean {
    return this.#transaction === 'open';
  }

  /**
   * Starts a transaction. NOTE: `begin` travels with the first statement (a deferred BEGIN takes
   * no lock), which saves a round trip.
   */
  begin(): void {
    this.#transaction = 'deferred';
  }

  /** Commits or rolls back; a transaction that never ran a statement needs no round trip. */
  async end(sql: 'commit' | 'rollback'): Promise<void> {
    if (this.#transaction !== 'open') {
      this.#transaction = 'none';
      return;
    }
    this.#check(await this.#channel.request({ lease: this.lease, sql, parameters: [] }));
    this.#transaction = 'none';
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const res = this.#check(await this.#send(compiledQuery.sql, compiledQuery.parameters));
    if ('rows' in res) {
      if (res.blobs) reviveBlobs(res.rows);
      return { rows: res.rows as R[] };
    }
    if (!('changes' in res)) throw new Error('SQLite worker sent an unexpected answer');
    return { numAffectedRows: BigInt(res.changes), insertId: BigInt(res.lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('WorkerSqliteDriver does not support streaming queries');
  }

  async #send(sql: string, parameters: readonly unknown[]): Promise<WorkerResponse> {
    const body = { lease: this.lease, sql, parameters };
    if (this.#transaction !== 'deferred') return this.#channel.request(body);
    this.#transaction = 'open';
    return this.#channel.request({ ...body, begin: true });
  }

  #check(res: WorkerResponse): WorkerResponse {
    if (!('error' in res)) return res;
    if (res.beginFailed) this.#transaction = 'none';
    throw reviveError(res);
  }
}
