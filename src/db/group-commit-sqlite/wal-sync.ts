/**
 * The group-commit driver's own WAL sync (`walSyncPath`): SQLite commits at `synchronous=NORMAL`
 * and the driver `fdatasync`s the WAL after each COMMIT, on libuv's thread pool, acknowledging the
 * batches only then; batches committed while a sync is in flight share the next one.
 */
import { close, fdatasync, open } from 'node:fs';
import { dirname } from 'node:path';
import type { Batch } from './batch.js';

/** open + fdatasync + close of `path`, on libuv's thread pool. */
function syncFile(path: string, cb: (err: Error | null) => void): void {
  open(path, 'r', (openErr, fd) => {
    if (openErr !== null) return cb(openErr);
    fdatasync(fd, (syncErr) => {
      close(fd, (closeErr) => cb(syncErr ?? closeErr));
    });
  });
}

/** The committed batches of one database waiting for their WAL to be synced. */
export class WalSync {
  readonly #walSyncPath: string;
  /** Committed batches waiting for the next WAL sync. */
  #unsynced: Batch[] = [];
  #syncing = false;
  /** Told once the sync in flight is over (see {@link whenIdle}). */
  #idle: (() => void)[] = [];
  #dirSynced = false;
  /**
   * The WAL's descriptor, opened at the first sync and kept: SQLite resets a WAL by rewriting it
   * from its start or truncating it, never by replacing the file, while a connection (ours) is
   * open; it deletes the WAL only when the last connection closes. Dropped after a failed sync, so
   * the next sync opens the file again.
   */
  #fd: number | undefined;
  #closed = false;

  constructor(walSyncPath: string) {
    this.#walSyncPath = walSyncPath;
  }

  /** Whether a sync is in flight. */
  get syncing(): boolean {
    return this.#syncing;
  }

  /** Calls `cb` once the sync in flight is over (its batches acknowledged), before the next starts. */
  whenIdle(cb: () => void): void {
    this.#idle.push(cb);
  }

  /** `batch` was just committed: acknowledged once a WAL sync started after now returns. */
  add(batch: Batch): void {
    this.#unsynced.push(batch);
    if (!this.#syncing) this.#syncWal();
  }

  /**
   * `fdatasync`s the WAL (the directory too, once, for the WAL's own entry), then acknowledges
   * every batch committed before the sync started; batches committed meanwhile wait for the next.
   */
  #syncWal(): void {
    const batches = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = true;
    const done = (err: Error | null) => {
      for (const b of batches) {
        if (err === null) b.resolve();
        else {
          b.error = new Error('the WAL sync of this commit group failed', { cause: err });
          b.reject(b.error);
        }
      }
      this.#syncing = false;
      // NOTE: those waiting commit now, so the next sync carries their batches too.
      for (const cb of this.#idle.splice(0)) cb();
      if (this.#syncing) return;
      if (this.#unsynced.length > 0) this.#syncWal();
      else if (this.#closed) this.#closeFd();
    };
    this.#syncWalFile((err) => {
      if (err !== null || this.#dirSynced) return done(err);
      syncFile(dirname(this.#walSyncPath), (dirErr) => {
        if (dirErr === null) this.#dirSynced = true;
        done(dirErr);
      });
    });
  }

  /** `fdatasync` of the WAL through the kept descriptor, opening it first if there is none. */
  #syncWalFile(cb: (err: Error | null) => void): void {
    const sync = (fd: number) =>
      fdatasync(fd, (err) => {
        if (err !== null) this.#closeFd();
        cb(err);
      });
    if (this.#fd !== undefined) return sync(this.#fd);
    open(this.#walSyncPath, 'r', (err, fd) => {
      if (err !== null) return cb(err);
      this.#fd = fd;
      sync(fd);
    });
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) close(fd, () => undefined);
  }

  /** The database is closing: the descriptor goes once no sync is in flight. */
  close(): void {
    this.#closed = true;
    if (!this.#syncing) this.#closeFd();
  }
}
