/**
 * Group commit for the embedded SQLite database: many logical transactions share one physical
 * SQLite transaction, so one commit (one fsync with `synchronous=FULL`) makes all of them durable.
 *
 * - A physical transaction (`BEGIN IMMEDIATE`) is opened by the first logical transaction or
 *   autocommit write that finds none open: the batch.
 * - Each logical transaction (kysely's `db.transaction()`) is a `SAVEPOINT` inside the batch: its
 *   rollback is `ROLLBACK TO` its savepoint, so a failing logical transaction undoes only its own
 *   work; its commit is `RELEASE`, after which the connection is free for the next one while the
 *   committer waits for the batch's `COMMIT`. `commitTransaction` resolves only after that COMMIT
 *   returned: a caller acknowledges nothing (a 202) before its rows are durable.
 * - An autocommit write (a statement outside any transaction) joins the batch the same way; its
 *   result is returned after the batch's COMMIT. By default an autocommit read (or read-only
 *   transaction) while a batch holds committed work waits for that COMMIT too, so nobody outside
 *   the database is shown rows a power loss could still take back; with
 *   `readsWaitForDurability: false` (what `openDatabase` sets) reads answer at once and whoever
 *   answers outside the process waits for {@link GroupCommitSqliteDriver.durable} instead (the
 *   API does, before every answer).
 * - The batch is committed once the event loop has run everything that was ready when its first
 *   logical transaction committed (`setImmediate`, then behind the transactions already waiting
 *   for the connection), or before the connection is handed on once it holds
 *   `maxBatchTransactions` commits or its first commit is `maxBatchMs` old: a steady stream of
 *   transactions never postpones a commit indefinitely. A single logical transaction still holds
 *   the connection from BEGIN to COMMIT (as with kysely's own driver), so one that waits on
 *   something slow delays the commit of those before it by as long; one that waited for another
 *   transaction's commit to be durable would wait forever (no code in Kindling does).
 * - If SQLite rolls the whole physical transaction back by itself (some I/O, full-disk and
 *   memory errors do), or its COMMIT fails, every logical transaction of the batch fails with that
 *   error: none of them was acknowledged yet.
 * - With `walSyncPath` the fsync leaves the event loop: SQLite runs at `synchronous=NORMAL` and the
 *   driver syncs the WAL itself after each COMMIT, on the thread pool, acknowledging the batch
 *   only then. A batch whose COMMIT falls while a sync is in flight (its acknowledgement would
 *   wait for the next sync anyway) stays open until that sync is over, unless it is due first,
 *   and commits with whatever joined it meanwhile: pages several of its transactions changed (a
 *   table's last page, the quota rows) are written to the WAL once, not once per batch.
 *   Acknowledged work is exactly as durable as with `synchronous=FULL` (which differs from NORMAL
 *   in WAL mode only by that sync at each commit; checkpoints sync the same way in both).
 * - `BEGIN IMMEDIATE` does not busy-wait inside SQLite (which would block the event loop, and
 *   deadlock two connections of one process): it fails at once and is retried on a timer, up to
 *   the connection's `busy_timeout`.
 *
 * Statements that cannot run inside a transaction (PRAGMA, VACUUM, …) outside a logical
 * transaction first commit the open batch, then run on their own.
 *
 * This file is the dialect; the pieces are in `group-commit-sqlite/`: the driver (`driver.ts`),
 * its batches (`batch.ts`) and connection leases (`lease.ts`), the busy-retry `BEGIN IMMEDIATE`
 * (`immediate-begin.ts`), the WAL sync (`wal-sync.ts`) and the options (`config.ts`).
 */
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
} from 'kysely';
import type { GroupCommitSqliteConfig } from './group-commit-sqlite/config.js';
import { GroupCommitSqliteDriver } from './group-commit-sqlite/driver.js';

export type { GroupCommitLimits, GroupCommitSqliteConfig } from './group-commit-sqlite/config.js';
export { GroupCommitSqliteDriver } from './group-commit-sqlite/driver.js';

/** kysely's SQLite dialect with {@link GroupCommitSqliteDriver} as its driver. */
export class GroupCommitSqliteDialect implements Dialect {
  #driver: GroupCommitSqliteDriver | undefined;

  constructor(private readonly config: GroupCommitSqliteConfig) {}

  createDriver(): Driver {
    this.#driver = new GroupCommitSqliteDriver(this.config);
    return this.#driver;
  }

  /** The driver's {@link GroupCommitSqliteDriver.durable} (resolved before the driver exists). */
  durable(): Promise<void> {
    return this.#driver?.durable() ?? Promise.resolve();
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
