import {
  IdentifierNode,
  RawNode,
  createQueryId,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
} from 'kysely';
import type { SqliteSetup } from './sqlite-setup.js';
import { WorkerChannel } from './worker-channel.js';
import { WorkerSqliteConnection } from './worker-sqlite-connection.js';

function savepointCommand(command: string, name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}

/**
 * A kysely {@link Driver} whose one SQLite connection lives in a `worker_threads` Worker, so the
 * main thread keeps serving while SQLite executes and fsyncs. Isolation is that of kysely's
 * SqliteDriver (one connection; a transaction holds it from `begin` to `commit`/`rollback`), but
 * the mutex lives in the worker (`LeaseScheduler`): each kysely connection is a lease, and the
 * worker holds back other leases' statements while one has a transaction open, so statements are
 * posted at once and the connection changes hands without a trip through the main thread.
 */
export class WorkerSqliteDriver implements Driver {
  readonly #setup: SqliteSetup;
  #channel: WorkerChannel | undefined;
  #nextLease = 1;

  constructor(setup: SqliteSetup) {
    this.#setup = Object.freeze({ ...setup });
  }

  /** Starts the worker and waits until it has opened and configured the database. */
  async init(): Promise<void> {
    this.#channel = await WorkerChannel.open(this.#setup);
  }

  /** A new lease on the single connection. */
  async acquireConnection(): Promise<DatabaseConnection> {
    if (!this.#channel) throw new Error('WorkerSqliteDriver is not initialized');
    return new WorkerSqliteConnection(this.#channel, this.#nextLease++);
  }

  /** Starts a transaction on the lease (its `begin` goes out with the first statement). */
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as WorkerSqliteConnection).begin();
  }

  /** Commits the lease's transaction. */
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WorkerSqliteConnection).end('commit');
  }

  /** Rolls the lease's transaction back. */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WorkerSqliteConnection).end('rollback');
  }

  /** Establishes a savepoint inside the transaction. */
  async savepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await c.executeQuery(compile(savepointCommand('savepoint', name), createQueryId()));
  }

  /** Rolls back to a savepoint inside the transaction. */
  async rollbackToSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await c.executeQuery(compile(savepointCommand('rollback to', name), createQueryId()));
  }

  /** Releases a savepoint inside the transaction. */
  async releaseSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await c.executeQuery(compile(savepointCommand('release', name), createQueryId()));
  }

  /** Ends the lease; a transaction it left open (commit and rollback both failed) is rolled back. */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as WorkerSqliteConnection;
    if (c.transactionOpen) this.#channel?.notify({ release: c.lease });
  }

  /** Closes the database in the worker, then stops the worker. */
  async destroy(): Promise<void> {
    const channel = this.#channel;
    this.#channel = undefined;
    await channel?.close();
  }
}
