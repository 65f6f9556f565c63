import { deadlineFor, runWithLock } from './coordinator.js';
import type { Coordinator, Lock, LockOptions } from './coordinator.js';
import { NamedMutex } from './named-mutex.js';

/** A lock of the in-process coordinator: it can never be lost. */
class InprocLock implements Lock {
  readonly lost = false;
  #released = false;

  constructor(
    readonly name: string,
    private readonly mutex: NamedMutex,
  ) {}

  release(): Promise<void> {
    if (!this.#released) {
      this.#released = true;
      this.mutex.release(this.name);
    }
    return Promise.resolve();
  }
}

/** The lock table of this process. */
const PROCESS_MUTEX = new NamedMutex();

/**
 * The embedded coordinator (`backend_url` unset or `inproc://`): a FIFO mutex per name inside this
 * process, enough when one process runs every service. Every instance shares the same table (as
 * every tooz client of one server shares its locks), unless given its own.
 */
export class InprocCoordinator implements Coordinator {
  readonly #mutex: NamedMutex;

  /** `mutex` defaults to the process-wide table. */
  constructor(mutex: NamedMutex = PROCESS_MUTEX) {
    this.#mutex = mutex;
  }

  /** Nothing to connect. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to disconnect. */
  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Takes `name` in this process; `null` when busy past the wait allowed by `opts.blocking`. */
  async lock(name: string, opts?: LockOptions): Promise<Lock | null> {
    const acquired = await this.#mutex.acquire(name, deadlineFor(opts?.blocking));
    return acquired ? new InprocLock(name, this.#mutex) : null;
  }

  /** Runs `fn` holding `name`; throws `LockAcquireTimeout` when not acquired. */
  withLock<T>(name: string, fn: (lock: Lock) => Promise<T> | T, opts?: LockOptions): Promise<T> {
    return runWithLock(this, name, fn, opts);
  }
}
