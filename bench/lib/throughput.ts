/**
 * Throughput measurements beside the create phases: how fast volumes are deleted (DELETE sent →
 * gone from the list), how many list requests a second the server answers, and the server's
 * resident memory (sampled from /proc while the benchmark runs).
 */
import { readFileSync } from 'node:fs';
import { deleteAndWait, stillThere } from './cleanup.js';
import type { KindlingClient } from './kindling-client.js';
import { nowMs, summarize, type Summary } from './stats.js';

/** `ids` deleted with `parallel` DELETEs in flight; the wall time ends when the last is gone. */
export interface DeleteThroughput {
  deleted: number;
  parallel: number;
  wallMs: number;
  failed: string[];
}

/** Deletes `ids` and waits until every one is gone, timing the whole. */
export async function measureDeletes(
  client: KindlingClient,
  ids: readonly string[],
  parallel: number,
): Promise<DeleteThroughput> {
  const t0 = nowMs();
  const unfinished = await deleteAndWait(client, ids, parallel, undefined, false);
  const wallMs = nowMs() - t0;
  // NOTE: checked after the clock stops: one GET per volume is the benchmark's, not the deletes'.
  const left = await stillThere(
    client,
    ids.filter((id) => !unfinished.includes(id)),
    parallel,
  );
  const failed = [...unfinished, ...left];
  return { deleted: ids.length - failed.length, parallel, wallMs, failed };
}

/** One request repeated by `connections` closed-loop workers for a while. */
export interface RequestThroughput {
  request: string;
  volumesPresent: number;
  connections: number;
  requests: number;
  wallMs: number;
  latency: Summary;
  errors: number;
}

/** `GET path` from `connections` workers, each sending its next request when the last is answered. */
export async function measureRequests(
  client: KindlingClient,
  path: string,
  connections: number,
  seconds: number,
  volumesPresent: number,
): Promise<RequestThroughput> {
  const ms: number[] = [];
  let errors = 0;
  const start = nowMs();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (nowMs() < end) {
      const t0 = nowMs();
      const r = await client.request('GET', path);
      if (r.status === 200) ms.push(nowMs() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return {
    request: `GET ${path}`,
    volumesPresent,
    connections,
    requests: ms.length,
    wallMs: nowMs() - start,
    latency: summarize(ms),
    errors,
  };
}

/** Resident set size of process `pid` in MiB (VmRSS), or NaN when it cannot be read. */
export function rssMiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) process `pid` has used, ms, or NaN when it cannot be read. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // NOTE: fields after the command (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every `intervalMs` and keeps the peak. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  peak = 0;

  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): number {
    const v = rssMiB(this.#pid);
    if (v > this.peak) this.peak = v;
    return v;
  }

  stop(): number {
    clearInterval(this.#timer);
    this.sample();
    return this.peak;
  }
}
