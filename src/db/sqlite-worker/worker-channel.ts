import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SqliteSetup } from './sqlite-setup.js';
import type { CloseRequest, QueryRequest, ReleaseRequest, WorkerResponse } from './protocol.js';
import { reviveError } from './revive.js';

/** A request without its `id`, which the channel assigns. */
export type RequestBody = Omit<QueryRequest, 'id'> | Omit<CloseRequest, 'id'>;

interface Pending {
  resolve(res: WorkerResponse): void;
  reject(err: Error): void;
}

/**
 * Starts the worker script that sits beside this module: compiled `worker.js` in dist/, or
 * `worker.ts` when running from source under tsx.
 */
function startWorker(setup: SqliteSetup): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: setup });
  // NOTE: tsx's ESM hooks (`--import tsx`) do not reach worker threads on Node 20 (tsx issue #354),
  // so a small CommonJS bootstrap registers tsx's require hook in the worker and loads worker.ts.
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cjs/api');
  const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const code = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true, workerData: setup, execArgv: [] });
}

/**
 * The main thread's end of the SQLite worker: numbered requests, each resolved with the worker's
 * answer. If the worker dies, every pending and later request is rejected.
 */
export class WorkerChannel {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (res: WorkerResponse) => this.#settle(res));
    worker.on('error', (e) => this.#fail(e));
    worker.on('exit', (code) => this.#fail(new Error(`SQLite worker exited (code ${code})`)));
  }

  /** Starts a worker on `setup` and waits until it has opened the database (rejects if it cannot). */
  static async open(setup: SqliteSetup): Promise<WorkerChannel> {
    const channel = new WorkerChannel(startWorker(setup));
    const ready = await new Promise<WorkerResponse>((resolve, reject) =>
      channel.#pending.set(0, { resolve, reject }),
    );
    if ('error' in ready) {
      channel.#failure = reviveError(ready);
      await channel.#worker.terminate();
      throw channel.#failure;
    }
    // NOTE: an idle worker must not keep the process alive (the in-thread driver never did);
    // `request` refs it while an answer is awaited.
    channel.#worker.unref();
    return channel;
  }

  /** Sends a request and resolves with the worker's answer. */
  request(body: RequestBody): Promise<WorkerResponse> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id });
    });
  }

  /** Sends a request that has no answer. */
  notify(body: ReleaseRequest): void {
    if (!this.#failure) this.#worker.postMessage(body);
  }

  /** Asks the worker to close the database, then stops it. Later requests fail. */
  async close(): Promise<void> {
    try {
      if (!this.#failure) {
        const res = await this.request({ close: true });
        if ('error' in res) throw reviveError(res);
      }
    } finally {
      this.#failure ??= new Error('SQLite worker driver has been destroyed');
      await this.#worker.terminate();
    }
  }

  #settle(res: WorkerResponse): void {
    const p = this.#pending.get(res.id);
    if (!p) return;
    this.#pending.delete(res.id);
    if (this.#pending.size === 0 && res.id !== 0) this.#worker.unref();
    p.resolve(res);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
  }
}
