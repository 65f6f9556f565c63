interface Waiter {
  readonly resolve: (acquired: boolean) => void;
  timer?: NodeJS.Timeout;
}

/**
 * In-process mutual exclusion per name, first come first served. A name is held while it has an
 * entry in the map; the entry is its queue of waiters.
 */
export class NamedMutex {
  readonly #queues = new Map<string, Waiter[]>();

  /**
   * Takes `name`, waiting until `deadline` (ms since the epoch; `Infinity` = for ever, a time in
   * the past = do not wait). Resolves `false` when it was not acquired.
   */
  acquire(name: string, deadline: number): Promise<boolean> {
    const queue = this.#queues.get(name);
    if (!queue) {
      this.#queues.set(name, []);
      return Promise.resolve(true);
    }
    if (deadline <= Date.now()) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve };
      if (Number.isFinite(deadline)) {
        waiter.timer = setTimeout(() => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          resolve(false);
        }, deadline - Date.now());
      }
      queue.push(waiter);
    });
  }

  /** Hands `name` to the next waiter, or frees it. Throws when it is not held. */
  release(name: string): void {
    const queue = this.#queues.get(name);
    if (!queue) throw new Error(`Lock ${name} is not held`);
    const next = queue.shift();
    if (!next) {
      this.#queues.delete(name);
      return;
    }
    clearTimeout(next.timer);
    next.resolve(true);
  }

  /** Whether `name` is held by someone in this process. */
  isHeld(name: string): boolean {
    return this.#queues.has(name);
  }
}
