/**
 * Watches many volumes leave `creating` with one list request per poll instead of one GET per
 * volume, so polling does not add load proportional to the concurrency being measured.
 */
import type { KindlingClient } from './kindling-client.js';
import { nowMs } from './stats.js';

/** A volume's first status after `creating`, and when the watcher saw it (`nowMs()` clock). */
export interface Settled {
  status: string;
  at: number;
}

interface Pending {
  resolve(s: Settled): void;
  reject(e: Error): void;
  deadline: number;
}

/** Resolves `wait(id)` when volume `id` is no longer `creating`. */
export class StatusWatcher {
  readonly #client: KindlingClient;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  #running = false;

  /** Polls every `intervalMs` while something is pending; a volume may take `timeoutMs`. */
  constructor(client: KindlingClient, intervalMs: number, timeoutMs = 60_000) {
    this.#client = client;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  /** Waits for volume `id` (created just before) to settle. */
  wait(id: string): Promise<Settled> {
    return new Promise<Settled>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, deadline: nowMs() + this.#timeoutMs });
      if (!this.#running) void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending.size > 0) {
        await this.#pollOnce();
        if (this.#pending.size > 0) await new Promise((r) => setTimeout(r, this.#intervalMs));
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    } finally {
      this.#running = false;
    }
  }

  async #pollOnce(): Promise<void> {
    // NOTE: only ids pending when the request is sent may be judged by its answer; a volume
    // created later might not be in it yet.
    const ids = [...this.#pending.keys()];
    const listed = await this.#client.listDetail('status=creating&limit=1000');
    const seenAt = nowMs();
    const statusOf = new Map(listed.map((v) => [v.id, v.status]));
    for (const id of ids) {
      const status = statusOf.get(id);
      if (status === 'creating') continue;
      // Not listed as creating: it has settled (or the server ignored the filter and told us).
      const final = status ?? (await this.#client.getVolume(id))?.status ?? 'deleted';
      if (final === 'creating') continue;
      this.#settle(id, { status: final, at: seenAt });
    }
    const now = nowMs();
    for (const [id, p] of this.#pending) {
      if (now > p.deadline) {
        this.#pending.delete(id);
        p.reject(new Error(`volume ${id} still creating after ${this.#timeoutMs} ms`));
      }
    }
  }

  #settle(id: string, s: Settled): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    p.resolve(s);
  }
}
