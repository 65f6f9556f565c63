import { sql } from 'kysely';
import type { Db } from './api/common.js';
import type { DialectName } from './dialect-name.js';
import { isStalePlan } from './pg-named-statements.js';

/**
 * Whether `err` is the engine telling us it broke a deadlock (or a serialization conflict) by
 * aborting our transaction: PostgreSQL 40P01/40001, MySQL/MariaDB 1213 (ER_LOCK_DEADLOCK).
 * Such a transaction did nothing and can simply run again.
 */
export function isDeadlock(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; errno?: unknown };
  return e.code === '40P01' || e.code === '40001' || e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1213;
}

/**
 * Runs `fn` (one whole transaction) again when the database aborted it as a deadlock victim, up to
 * `maxRetries` times with a short randomized back-off, as oslo.db's
 * `wrap_db_retry(retry_on_deadlock=True)` does around Cinder's quota functions. Also when
 * PostgreSQL refused one of its prepared statements after a schema change (pg-named-statements.ts):
 * that transaction did nothing either, and the connection prepares afresh.
 */
export async function withDeadlockRetry<T>(fn: () => Promise<T>, maxRetries = 5): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= maxRetries || !(isDeadlock(e) || isStalePlan(e))) throw e;
      await new Promise((r) => setTimeout(r, (10 << attempt) * (0.5 + Math.random())));
    }
  }
}

/**
 * SQLite only, first statement of a read-then-write transaction: takes the database write lock now
 * (an UPDATE that matches nothing still does), as `BEGIN IMMEDIATE` would. Another process's
 * transaction then waits for ours (`busy_timeout`) instead of failing with SQLITE_BUSY when both
 * read first and then try to write. PostgreSQL and MySQL lock rows instead (`FOR UPDATE`). A
 * handle whose transactions begin with the write lock (group commit) skips the statement.
 */
export async function sqliteWriteLock(
  trx: Db,
  h: { readonly dialect: DialectName; readonly transactionsHoldWriteLock?: boolean },
): Promise<void> {
  if (h.dialect === 'sqlite' && !h.transactionsHoldWriteLock)
    await sql`UPDATE quota_usages SET id = id WHERE 0 = 1`.execute(trx);
}

/**
 * `q` with `FOR UPDATE` on PostgreSQL and MySQL; as it is on SQLite, which has no row locks (the
 * transaction's database write lock, {@link sqliteWriteLock}, stands in for them).
 */
export function lockedUnlessSqlite<Q extends { forUpdate(): Q }>(dialect: DialectName, q: Q): Q {
  return dialect === 'sqlite' ? q : q.forUpdate();
}
