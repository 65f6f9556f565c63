/**
 * `BEGIN IMMEDIATE` without SQLite's busy wait: another connection holding the write lock makes
 * it fail at once instead of blocking the event loop for up to `busy_timeout` (a connection of
 * this same process could then never commit and free it); it is retried on a timer instead, up to
 * the connection's `busy_timeout`.
 */
import type BetterSqlite3 from 'better-sqlite3';

export class ImmediateBegin {
  readonly #db: BetterSqlite3.Database;
  readonly #begin: BetterSqlite3.Statement;
  readonly #busyTimeoutMs: number;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true }));
  }

  /** One try: undefined once begun, the SQLITE_BUSY error when another connection writes. */
  tryBegin(): Error | undefined {
    // NOTE: exec, not a prepared statement: SQLite applies busy_timeout when it compiles it.
    this.#db.exec('PRAGMA busy_timeout = 0');
    try {
      this.#begin.run();
      return undefined;
    } catch (e) {
      if ((e as { code?: unknown }).code === 'SQLITE_BUSY') return e as Error;
      throw e;
    } finally {
      this.#db.exec(`PRAGMA busy_timeout = ${this.#busyTimeoutMs}`);
    }
  }

  /**
   * Retries off the event loop's back, up to the connection's busy_timeout; once begun, returns
   * what `begun` returns (called at once, in the same turn as the successful BEGIN).
   */
  async beginLater<T>(begun: () => T): Promise<T> {
    const deadline = performance.now() + this.#busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      await new Promise((r) => setTimeout(r, wait));
      const busy = this.tryBegin();
      if (busy === undefined) return begun();
      if (performance.now() >= deadline) throw busy;
    }
  }
}
