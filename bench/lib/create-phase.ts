/**
 * One benchmark phase: `total` volume creates driven by `concurrency` closed-loop workers (each
 * creates a volume, waits until it is available, then creates the next).
 */
import type { KindlingClient } from './kindling-client.js';
import type { StatusWatcher } from './status-watcher.js';
import { nowMs } from './stats.js';

/** A project the workers create in: its client and the watcher of its `creating` list. */
export interface Lane {
  client: KindlingClient;
  watcher: StatusWatcher;
}

/** Measurements of one phase. */
export interface CreatePhaseResult {
  concurrency: number;
  /** Creates attempted. */
  total: number;
  /** POST sent → 202 received, ms, one per accepted create. */
  postMs: number[];
  /** POST sent → status `available` seen, ms, one per volume that became available. */
  availableMs: number[];
  /** Wall time from the first POST to the last volume settling, ms. */
  wallMs: number;
  /** Every volume id the server accepted (to delete afterwards), whatever became of it. */
  createdIds: string[];
  /** The lane (index into the phase's lanes) each of `createdIds` was created in. */
  createdLanes: number[];
  /** One line per create that failed (non-202, status `error`, timeout). */
  errors: string[];
  /** CPU time the server used during the phase, ms (when its pid is known). */
  serverCpuMs?: number;
  /** CPU time each `--cpu-of` group used during the phase, ms. */
  cpuByGroup?: Record<string, number>;
  /** CPU time the whole machine was busy during the phase (all cores), ms. */
  machineBusyMs?: number;
}

/**
 * Runs `total` creates of `sizeGb` GiB volumes with `concurrency` workers; worker `w` creates in
 * lane `w % lanes.length` (one lane per project).
 */
export async function runCreatePhase(
  lanes: readonly Lane[],
  concurrency: number,
  total: number,
  sizeGb = 1,
): Promise<CreatePhaseResult> {
  const result: CreatePhaseResult = {
    concurrency,
    total,
    postMs: [],
    availableMs: [],
    wallMs: 0,
    createdIds: [],
    createdLanes: [],
    errors: [],
  };
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    const lane = w % lanes.length;
    const { client, watcher } = lanes[lane]!;
    while (next < total) {
      next++;
      const t0 = nowMs();
      let id: string;
      try {
        id = await client.createVolume(sizeGb);
      } catch (err) {
        result.errors.push(`create: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      result.postMs.push(nowMs() - t0);
      result.createdIds.push(id);
      result.createdLanes.push(lane);
      try {
        const settled = await watcher.wait(id);
        if (settled.status === 'available') result.availableMs.push(settled.at - t0);
        else result.errors.push(`volume ${id} went to ${settled.status}`);
      } catch (err) {
        result.errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  const start = nowMs();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, (_, w) => worker(w)));
  result.wallMs = nowMs() - start;
  return result;
}
