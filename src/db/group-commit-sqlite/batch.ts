/** One physical SQLite transaction and the logical commits waiting for its COMMIT. */
export class Batch {
  /** Logical commits (transactions and autocommit writes) it carries. */
  commits = 0;
  /** `performance.now()` of its first logical commit. */
  firstCommitAt = 0;
  /** Set once it is committed, rolled back or lost. */
  error: Error | undefined = undefined;
  /** Set once `durable` has settled. */
  settled = false;
  readonly durable: Promise<void>;
  resolve!: () => void;
  reject!: (e: Error) => void;

  constructor() {
    this.durable = new Promise<void>((resolve, reject) => {
      this.resolve = () => {
        this.settled = true;
        resolve();
      };
      this.reject = (e) => {
        this.settled = true;
        reject(e);
      };
    });
    // NOTE: nobody may be waiting (a batch whose commits all failed); the waiters see the error.
    this.durable.catch(() => undefined);
  }
}
