/** What the group-commit SQLite dialect is configured with (src/db/group-commit-sqlite.ts). */
import type BetterSqlite3 from 'better-sqlite3';

/** How large a batch may grow before it is committed at the next hand-over of the connection. */
export interface GroupCommitLimits {
  /** Logical commits in one batch (default 256). */
  readonly maxBatchTransactions?: number;
  /** Age of the batch's first logical commit, ms (default 20). */
  readonly maxBatchMs?: number;
}

/** What the dialect needs: an open better-sqlite3 database, and the limits. */
export interface GroupCommitSqliteConfig extends GroupCommitLimits {
  readonly database: BetterSqlite3.Database;
  /**
   * The database's WAL file, when the driver makes commits durable itself: SQLite runs with
   * `synchronous=NORMAL` (a COMMIT writes its WAL frames without syncing them) and the driver
   * `fdatasync`s the WAL on libuv's thread pool after each COMMIT, acknowledging the batch's
   * logical commits only when that sync returned. The event loop goes on meanwhile, and every
   * batch committed while a sync is in flight is made durable by the next one. Unset: SQLite syncs
   * in its COMMIT (`synchronous=FULL`), or not at all (`NORMAL` asked for by the operator).
   */
  readonly walSyncPath?: string;
  /**
   * Whether reads outside a writing transaction (autocommit reads, read-only transactions) wait
   * until the newest committed work is durable before answering (default true). False when every
   * answer leaving the process waits for {@link GroupCommitSqliteDriver.durable} instead (the
   * API's barrier, `src/api/app.ts`): flows then read at once.
   */
  readonly readsWaitForDurability?: boolean;
  /** Told after each physical commit how many logical commits it carried (tests, metrics). */
  readonly onBatchCommit?: (logicalCommits: number) => void;
}
