import type { Logger } from 'pino';
import { deadlineFor, runWithLock } from './coordinator.js';
import type { Coordinator, Lock, LockOptions } from './coordinator.js';
import { NamedMutex } from './named-mutex.js';

/** A lock as a backend holds it. */
export interface RemoteHold {
  /** Gives it back on the server. */
  release(): Promise<void>;
  /** Stops any background work (TTL refresh) without talking to the server. */
  abandon?(): void;
}

/** Called by a backend when the server dropped one lock (say, its TTL ran out). */
export type HoldLost = (reason: string) => void;

/** Called by a backend when its dedicated connection ended: every lock taken on it is gone. */
export type ConnectionLost = (reason: unknown) => void;

class DistributedLock implements Lock {
  lost = false;
  released = false;

  constructor(
    readonly name: string,
    readonly generation: number,
    readonly hold: RemoteHold,
    private readonly owner: DistributedCoordinator,
  ) {}

  release(): Promise<void> {
    return this.owner.releaseLock(this);
  }
}

/**
 * What the server-backed coordinators (PostgreSQL, MySQL, Redis) share: an in-process mutex per
 * name in front of the server lock, one dedicated connection opened lazily and reopened after it
 * drops, and the bookkeeping that marks locks lost when it does.
 *
 * NOTE: the in-process mutex matters because session locks (`pg_advisory_lock`, `GET_LOCK`) are
 * re-entrant within one session: two callers sharing this coordinator's connection would both
 * "get" the lock. It also keeps same-process waiters off the server.
 */
export abstract class DistributedCoordinator implements Coordinator {
  readonly #local = new NamedMutex();
  readonly #held = new Set<DistributedLock>();
  #connecting: Promise<void> | null = null;
  #generation = 0;
  #stopped = false;

  constructor(protected readonly log: Logger) {}

  /** Opens a fresh dedicated connection; calls `lost` once if it ends later. */
  protected abstract openConnection(lost: ConnectionLost): Promise<void>;
  /** Closes the current connection, if any (which frees whatever it held). */
  protected abstract closeConnection(): Promise<void>;
  /** Takes `name` on the server, trying until `deadline` (at least once). */
  protected abstract acquireRemote(
    name: string,
    deadline: number,
    lost: HoldLost,
  ): Promise<RemoteHold | null>;

  /** Connects now, so a wrong `backend_url` fails at start-up. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#ensureConnected();
  }

  /** Disconnects; the server frees locks still held, which are marked lost. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#held.size > 0) {
      this.log.warn({ locks: [...this.#held].map((l) => l.name) }, 'coordinator stopped while holding locks');
      for (const lock of this.#held) this.#markLost(lock);
    }
    this.#connecting = null;
    await this.closeConnection();
  }

  /** Takes `name` here and on the server; `null` when busy past the wait allowed by `opts.blocking`. */
  async lock(name: string, opts?: LockOptions): Promise<Lock | null> {
    const deadline = deadlineFor(opts?.blocking);
    if (!(await this.#local.acquire(name, deadline))) return null;
    try {
      await this.#ensureConnected();
      const generation = this.#generation;
      const taken: { lock?: DistributedLock } = {};
      const hold = await this.acquireRemote(name, deadline, (reason) => {
        if (taken.lock && !taken.lock.lost) {
          this.log.error({ lock: name, reason }, 'coordination lock lost: others may now hold %s', name);
          this.#markLost(taken.lock);
        }
      });
      if (!hold) {
        this.#local.release(name);
        return null;
      }
      const lock = new DistributedLock(name, generation, hold, this);
      taken.lock = lock;
      this.#held.add(lock);
      // NOTE: the connection may have dropped between the server's answer and this line.
      if (generation !== this.#generation) {
        this.log.error({ lock: name }, 'coordination connection lost while acquiring %s', name);
        this.#markLost(lock);
      }
      return lock;
    } catch (err) {
      this.#local.release(name);
      throw err;
    }
  }

  /** Runs `fn` holding `name`; throws `LockAcquireTimeout` when not acquired. */
  withLock<T>(name: string, fn: (lock: Lock) => Promise<T> | T, opts?: LockOptions): Promise<T> {
    return runWithLock(this, name, fn, opts);
  }

  /** @internal `Lock.release()`: the server lock unless lost, then the in-process one. */
  async releaseLock(lock: DistributedLock): Promise<void> {
    if (lock.released) return;
    lock.released = true;
    this.#held.delete(lock);
    try {
      if (!lock.lost) await lock.hold.release();
    } catch (err) {
      // NOTE: the connection is failing; when it ends, the server frees the lock with it.
      this.log.warn({ err, lock: lock.name }, 'could not release coordination lock %s', lock.name);
    } finally {
      this.#local.release(lock.name);
    }
  }

  #markLost(lock: DistributedLock): void {
    lock.lost = true;
    this.#held.delete(lock);
    lock.hold.abandon?.();
  }

  #ensureConnected(): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('coordinator is stopped'));
    if (!this.#connecting) {
      const generation = ++this.#generation;
      const connecting = this.openConnection((reason) => this.#connectionLost(generation, reason));
      this.#connecting = connecting;
      connecting.catch(() => {
        if (this.#connecting === connecting) this.#connecting = null;
      });
    }
    return this.#connecting;
  }

  #connectionLost(generation: number, reason: unknown): void {
    if (generation !== this.#generation || this.#stopped) return;
    // NOTE: bump the generation so a lock granted on the old connection but not yet recorded is
    // recognised as lost; the next lock() reconnects.
    this.#generation++;
    this.#connecting = null;
    const lost = [...this.#held].filter((l) => l.generation === generation);
    for (const lock of lost) this.#markLost(lock);
    const err = reason instanceof Error ? reason : new Error(String(reason));
    if (lost.length > 0) {
      this.log.error(
        { err, locks: lost.map((l) => l.name) },
        'coordination connection lost: %d held lock(s) are no longer held',
        lost.length,
      );
    } else {
      this.log.warn({ err }, 'coordination connection lost; reconnecting on next use');
    }
  }
}
