import { LockAcquireTimeout } from '../common/errors.js';

/**
 * How long `lock()` waits, tooz style: `true` (the default) waits for ever, `false` tries once,
 * a number waits that many seconds.
 */
export interface LockOptions {
  readonly blocking?: boolean | number;
}

/** A held coordination lock. */
export interface Lock {
  /** The name it was taken under, e.g. `<volume id>-delete_volume`. */
  readonly name: string;
  /**
   * True once the backend dropped it behind the holder's back (its connection ended, or its TTL
   * ran out without a refresh): others may hold it now. The holder should stop and `release()`.
   */
  readonly lost: boolean;
  /** Gives it back. Idempotent; never throws (a failed release is logged, the server frees it). */
  release(): Promise<void>;
}

/**
 * Cinder's coordination service (tooz behind `[coordination] backend_url`): named locks shared by
 * every process that points at the same backend. In-process callers exclude each other too.
 */
export interface Coordinator {
  /** Connects (if the backend has a server); start-up errors surface here. */
  start(): Promise<void>;
  /** Disconnects; locks still held are freed by the backend. */
  stop(): Promise<void>;
  /** Takes `name`; `null` when it was not free on a non-blocking try or within the timeout. */
  lock(name: string, opts?: LockOptions): Promise<Lock | null>;
  /**
   * Runs `fn` while holding `name` (Cinder's `@coordination.synchronized`) and releases it after.
   * Throws `LockAcquireTimeout` when the lock was not acquired.
   */
  withLock<T>(name: string, fn: (lock: Lock) => Promise<T> | T, opts?: LockOptions): Promise<T>;
}

/** Cinder's lock name for an operation on a resource: `'{volume.id}-{f_name}'`. */
export function operationLockName(resourceId: string, operation: string): string {
  return `${resourceId}-${operation}`;
}

/**
 * The wall-clock time (ms) until which to keep trying: `Infinity` for ever; a time already past for
 * a single try.
 */
export function deadlineFor(blocking: LockOptions['blocking']): number {
  if (blocking === undefined || blocking === true) return Infinity;
  if (blocking === false || !(blocking > 0)) return 0;
  return Date.now() + blocking * 1000;
}

/** `withLock` on top of `lock`, shared by every implementation. */
export async function runWithLock<T>(
  coordinator: Coordinator,
  name: string,
  fn: (lock: Lock) => Promise<T> | T,
  opts?: LockOptions,
): Promise<T> {
  const lock = await coordinator.lock(name, opts);
  if (!lock) {
    const b = opts?.blocking;
    throw new LockAcquireTimeout(name, typeof b === 'number' && b > 0 ? b : 0);
  }
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

/**
 * Calls `attempt` until it succeeds or `deadline` passes (always at least once), sleeping with
 * exponential back-off in between (10 ms doubling to 200 ms, jittered, never past the deadline).
 */
export async function pollUntil(attempt: () => Promise<boolean>, deadline: number): Promise<boolean> {
  let delay = 10;
  for (;;) {
    if (await attempt()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    // NOTE: jitter so that waiters in different processes do not poll in lock-step.
    const sleep = Math.min(delay * (0.5 + Math.random() / 2), left);
    await new Promise((resolve) => setTimeout(resolve, sleep));
    delay = Math.min(delay * 2, 200);
  }
}
