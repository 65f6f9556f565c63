/** Something the scheduler runs: a statement issued on one lease (kysely connection). */
export interface LeasedWork {
  readonly lease: number;
}

/**
 * The worker-side connection mutex. SQLite has one connection, and a transaction owns it from
 * `begin` to `commit`/`rollback`; statements of other leases that arrive meanwhile wait here, in
 * arrival order, and run as soon as the transaction ends. Outside transactions, work runs the
 * moment it arrives. Which lease owns the connection is read from SQLite itself after each
 * statement (`inTransaction`), so a transaction that SQLite ended on its own also frees it.
 *
 * NOTE: the queue lives in the worker rather than on the main thread so that handing the
 * connection over never waits for the (busy) main thread to process a message.
 */
export class LeaseScheduler<W extends LeasedWork> {
  readonly #run: (work: W) => void;
  readonly #inTransaction: () => boolean;
  readonly #waiting: W[] = [];
  #owner: number | undefined;

  /** `run` executes one statement; `inTransaction` tells whether the connection is in a transaction. */
  constructor(run: (work: W) => void, inTransaction: () => boolean) {
    this.#run = run;
    this.#inTransaction = inTransaction;
  }

  /** The lease whose transaction holds the connection, if any. */
  get owner(): number | undefined {
    return this.#owner;
  }

  /** How many statements wait for a transaction to end. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `work` now, or queues it if another lease's transaction holds the connection. */
  submit(work: W): void {
    if (this.#owner !== undefined && this.#owner !== work.lease) {
      this.#waiting.push(work);
      return;
    }
    try {
      this.#execute(work);
    } finally {
      this.#drain();
    }
  }

  /**
   * Ends what `lease` left open: `rollback` is called if its transaction still holds the
   * connection, then the waiting statements run.
   */
  release(lease: number, rollback: () => void): void {
    if (this.#owner !== lease) return;
    try {
      rollback();
    } finally {
      this.#owner = this.#inTransaction() ? lease : undefined;
      this.#drain();
    }
  }

  #execute(work: W): void {
    try {
      this.#run(work);
    } finally {
      this.#owner = this.#inTransaction() ? (this.#owner ?? work.lease) : undefined;
    }
  }

  /** Index of the first waiting statement that may run now, or -1. */
  #nextRunnable(): number {
    const owner = this.#owner;
    if (owner === undefined) return this.#waiting.length > 0 ? 0 : -1;
    return this.#waiting.findIndex((w) => w.lease === owner);
  }

  #drain(): void {
    for (let i = this.#nextRunnable(); i >= 0; i = this.#nextRunnable()) {
      const [work] = this.#waiting.splice(i, 1);
      this.#execute(work!);
    }
  }
}
