/**
 * The group-commit driver over one better-sqlite3 connection: leases of the connection, batches
 * of logical transactions in one physical one, their COMMIT (see src/db/group-commit-sqlite.ts
 * for the whole design).
 */
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import { allRows } from '../sqlite-rows.js';
import { Batch } from './batch.js';
import type { GroupCommitSqliteConfig } from './config.js';
import { ImmediateBegin } from './immediate-begin.js';
import { Lease } from './lease.js';
import { WalSync } from './wal-sync.js';

/** Statements SQLite refuses or ignores inside a transaction: run them outside any batch. */
const OUTSIDE_TRANSACTION =
  /^\s*(pragma|vacuum|attach|detach|begin|commit|end|rollback|savepoint|release)\b/i;

function toResult<R>(stmt: BetterSqlite3.Statement, parameters: readonly unknown[]): QueryResult<R> {
  if (stmt.reader) return { rows: allRows<R>(stmt, parameters) };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return {
    numAffectedRows: BigInt(changes),
    insertId: BigInt(lastInsertRowid),
    rows: [],
  };
}

/** kysely driver over one better-sqlite3 connection, with group commit. */
export class GroupCommitSqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #maxCommits: number;
  readonly #maxMs: number;
  readonly #onBatchCommit: ((n: number) => void) | undefined;
  /** Whether someone holds the connection. */
  #busy = false;
  /** Waiting for the connection, in order; each is handed the connection when called. */
  readonly #waiters: (() => void)[] = [];
  #batch: Batch | undefined = undefined;
  /** The newest batch committed but not yet durable (its WAL sync pending or in flight). */
  #lastCommitted: Batch | undefined = undefined;
  /** The driver's own WAL sync (`walSyncPath`), if any. */
  readonly #walSync: WalSync | undefined;
  readonly #readsWait: boolean;
  readonly #begin: ImmediateBegin;
  readonly #commit: BetterSqlite3.Statement;
  readonly #rollback: BetterSqlite3.Statement;
  readonly #savepoint: BetterSqlite3.Statement;
  readonly #releaseSavepoint: BetterSqlite3.Statement;
  readonly #rollbackToSavepoint: BetterSqlite3.Statement;

  constructor(config: GroupCommitSqliteConfig) {
    this.#db = config.database;
    this.#maxCommits = config.maxBatchTransactions ?? 256;
    this.#maxMs = config.maxBatchMs ?? 20;
    this.#onBatchCommit = config.onBatchCommit;
    this.#walSync = config.walSyncPath === undefined ? undefined : new WalSync(config.walSyncPath);
    this.#readsWait = config.readsWaitForDurability ?? true;
    this.#begin = new ImmediateBegin(this.#db);

    this.#commit = this.#db.prepare('COMMIT');
    this.#rollback = this.#db.prepare('ROLLBACK');
    // NOTE: one name for every logical transaction: they hold the connection from BEGIN to
    // COMMIT, so at most one savepoint is open at a time, and three statements prepared once
    // serve them all (a new name each time was a new SQL text to prepare, twice per transaction).
    this.#savepoint = this.#db.prepare('SAVEPOINT kgc');
    this.#releaseSavepoint = this.#db.prepare('RELEASE kgc');
    this.#rollbackToSavepoint = this.#db.prepare('ROLLBACK TO kgc');
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(new Lease(this));
    }
    return new Promise((resolve) => this.#waiters.push(() => resolve(new Lease(this))));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#release(connection as Lease);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    await this.#hold(lease);
    const batch = await this.#openBatch();
    this.#statement(this.#savepoint, []);
    lease.batch = batch;
    lease.dirty = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    const batch = this.#ownBatch(lease);
    this.#statement(this.#releaseSavepoint, []);
    lease.batch = undefined;
    if (lease.dirty) {
      this.#addCommit(batch);
      this.#release(lease);
      await batch.durable;
      return;
    }
    // NOTE: a read-only transaction waits only if it may have read work not yet durable.
    const newest = this.#readsWait ? this.#newestNotDurable() : undefined;
    this.#release(lease);
    if (newest !== undefined) await newest.durable;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    const batch = lease.batch;
    lease.batch = undefined;
    // NOTE: a lost batch (SQLite rolled it back) has no savepoint left to go back to.
    if (batch === undefined || batch !== this.#batch || !this.#db.inTransaction) return;
    this.#undoSavepoint();
  }

  async destroy(): Promise<void> {
    const batch = this.#batch;
    if (batch !== undefined) this.#finish(batch);
    // NOTE: syncs settle in order, so the newest committed batch settling means all have.
    await this.#lastCommitted?.durable.catch(() => undefined);
    this.#walSync?.close();
    this.#db.close();
  }

  /** A statement on `lease` (see the module comment for where each kind goes). */
  execute<R>(lease: Lease, query: CompiledQuery): Promise<QueryResult<R>> {
    if (!lease.holds) return this.#hold(lease).then(() => this.execute<R>(lease, query));
    try {
      const stmt = this.#db.prepare(query.sql);
      if (lease.batch !== undefined) {
        this.#ownBatch(lease);
        if (!stmt.readonly) lease.dirty = true;
        return Promise.resolve(this.#statement<R>(stmt, query.parameters));
      }
      if (OUTSIDE_TRANSACTION.test(query.sql)) {
        if (this.#batch !== undefined) this.#finish(this.#batch);
        return Promise.resolve(this.#statement<R>(stmt, query.parameters));
      }
      if (stmt.readonly) {
        const result = this.#statement<R>(stmt, query.parameters);
        const newest = this.#readsWait ? this.#newestNotDurable() : undefined;
        if (newest === undefined) return Promise.resolve(result);
        this.#release(lease);
        return newest.durable.then(() => result);
      }
      const opened = this.#openBatch();
      if (opened instanceof Promise) return opened.then((batch) => this.#write<R>(lease, stmt, query, batch));
      return this.#write<R>(lease, stmt, query, opened);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** An autocommit write: joins `batch`, hands the connection on, answers once durable. */
  #write<R>(
    lease: Lease,
    stmt: BetterSqlite3.Statement,
    query: CompiledQuery,
    batch: Batch,
  ): Promise<QueryResult<R>> {
    const result = this.#statement<R>(stmt, query.parameters);
    this.#addCommit(batch);
    this.#release(lease);
    return batch.durable.then(() => result);
  }

  /** Runs `stmt`; on failure, notices a physical transaction SQLite rolled back by itself. */
  #statement<R>(stmt: BetterSqlite3.Statement, parameters: readonly unknown[]): QueryResult<R> {
    try {
      return toResult<R>(stmt, parameters);
    } catch (e) {
      this.#noticeLostBatch(e);
      throw e;
    }
  }

  /** Undoes the open logical transaction's work and ends its savepoint. */
  #undoSavepoint(): void {
    this.#statement(this.#rollbackToSavepoint, []);
    this.#statement(this.#releaseSavepoint, []);
  }

  #noticeLostBatch(cause: unknown): void {
    const batch = this.#batch;
    if (batch === undefined || this.#db.inTransaction) return;
    this.#batch = undefined;
    const error = new Error('SQLite rolled back the transaction of this commit group', { cause });
    batch.error = error;
    batch.reject(error);
  }

  /** The batch of `lease`'s logical transaction; throws when SQLite lost it. */
  #ownBatch(lease: Lease): Batch {
    const batch = lease.batch;
    if (batch === undefined) throw new Error('no transaction open on this connection');
    if (batch !== this.#batch) {
      lease.batch = undefined;
      throw batch.error ?? new Error('the transaction of this commit group is gone');
    }
    return batch;
  }

  /** The open batch, or a new one (`BEGIN IMMEDIATE`); a full or old batch is committed first. */
  #openBatch(): Batch | Promise<Batch> {
    const batch = this.#batch;
    if (batch !== undefined && !(batch.commits > 0 && this.#isDue(batch))) return batch;
    if (batch !== undefined) this.#finish(batch);
    return this.#begin.tryBegin() === undefined
      ? this.#newBatch()
      : this.#begin.beginLater(() => this.#newBatch());
  }

  #newBatch(): Batch {
    const batch = new Batch();
    this.#batch = batch;
    return batch;
  }

  /**
   * Resolves once every logical commit made so far is durable (rejects if its batch failed): a
   * barrier before telling anyone outside the process what the database holds.
   */
  durable(): Promise<void> {
    return this.#newestNotDurable()?.durable ?? Promise.resolve();
  }

  /** The newest batch holding logical commits that are not durable yet: what a reader may see. */
  #newestNotDurable(): Batch | undefined {
    if (this.#batch !== undefined && this.#batch.commits > 0) return this.#batch;
    const last = this.#lastCommitted;
    return last !== undefined && !last.settled ? last : undefined;
  }

  #isDue(batch: Batch): boolean {
    return batch.commits >= this.#maxCommits || performance.now() - batch.firstCommitAt >= this.#maxMs;
  }

  #addCommit(batch: Batch): void {
    if (batch.commits++ > 0) return;
    batch.firstCommitAt = performance.now();
    setImmediate(() => this.#flushSoon(batch));
  }

  /** Commits `batch` now if the connection is free, else after those already waiting for it. */
  #flushSoon(batch: Batch): void {
    if (batch !== this.#batch) return;
    // NOTE: committed while a WAL sync is in flight, the batch would wait for the next sync
    // anyway: it stays open until this one is over (or it is due), gathering the commits made
    // meanwhile, so the pages they share (a table's last page, the quota rows) go to the WAL once.
    const walSync = this.#walSync;
    if (walSync?.syncing && !this.#isDue(batch)) {
      walSync.whenIdle(() => this.#flushSoon(batch));
      return;
    }
    const flush = () => {
      if (batch === this.#batch) this.#finish(batch);
      this.#handOn();
    };
    if (this.#busy) {
      this.#waiters.push(flush);
    } else {
      this.#busy = true;
      flush();
    }
  }

  /**
   * Ends the physical transaction of `batch` (the caller holds the connection): COMMIT when it
   * carries logical commits, else ROLLBACK (only rolled-back or read-only work is in it).
   */
  #finish(batch: Batch): void {
    this.#batch = undefined;
    if (!this.#db.inTransaction) {
      // NOTE: cannot happen unless someone ended it behind the driver's back.
      batch.error = new Error('the transaction of this commit group was ended elsewhere');
      batch.reject(batch.error);
      return;
    }
    try {
      if (batch.commits === 0) {
        this.#rollback.run();
        batch.resolve();
        return;
      }
      this.#commit.run();
    } catch (e) {
      if (this.#db.inTransaction) {
        try {
          this.#rollback.run();
        } catch {
          // NOTE: nothing more to do: the batch fails with the first error.
        }
      }
      batch.error = e instanceof Error ? e : new Error(String(e));
      batch.reject(batch.error);
      return;
    }
    this.#onBatchCommit?.(batch.commits);
    if (this.#walSync === undefined) {
      batch.resolve();
      return;
    }
    this.#lastCommitted = batch;
    this.#walSync.add(batch);
  }

  /** Waits until `lease` holds the connection again (a lease that handed it on early). */
  #hold(lease: Lease): Promise<void> {
    if (lease.holds) return Promise.resolve();
    return new Promise((resolve) => {
      const take = () => {
        lease.holds = true;
        resolve();
      };
      if (this.#busy) this.#waiters.push(take);
      else {
        this.#busy = true;
        take();
      }
    });
  }

  /** `lease` hands the connection on (once); an idle, empty or due batch is ended first. */
  #release(lease: Lease): void {
    if (!lease.holds) return;
    lease.holds = false;
    if (lease.batch !== undefined) {
      // NOTE: kysely releases only after commit or rollback; a lease given up inside its
      // transaction has its work undone, as a closed connection's would be.
      if (lease.batch === this.#batch && this.#db.inTransaction) {
        try {
          this.#undoSavepoint();
        } catch {
          // NOTE: the batch is then lost and its waiters were told (#noticeLostBatch).
        }
      }
      lease.batch = undefined;
    }
    const batch = this.#batch;
    if (batch !== undefined && (batch.commits === 0 || this.#isDue(batch))) this.#finish(batch);
    this.#handOn();
  }

  #handOn(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#busy = false;
    else next();
  }
}
