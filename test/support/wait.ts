/** Polling helpers shared by the harness and the tests (re-exported by `kindling.ts`). */
import { WAIT_MS } from './test-mode.js';
import type { TestKindling } from './types.js';

/** Polls `fn` every 20 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until the scheduler has heard from every backend's volume service (all pools listed).
 * With several schedulers each keeps its own view and they share the queue, so it asks a few more
 * times to give each a turn.
 */
export async function waitForPools(k: TestKindling, timeoutMs = WAIT_MS, schedulers = 1): Promise<void> {
  const backends = Object.keys(k.core.config.backends).length;
  for (let i = 0; i < schedulers * 2; i++)
    await waitFor(
      async () =>
        ((await k.req('GET', '/v3/scheduler-stats/get_pools')).body?.pools?.length ?? 0) >= backends,
      timeoutMs,
    );
}

/** Waits for what `startTestKindling` promises: the backends' pools known, unless `waitForPools: false`. */
export async function untilReady(
  k: TestKindling,
  opts: { waitForPools?: boolean; schedulers?: number },
): Promise<void> {
  if (!(opts.waitForPools ?? Object.keys(k.core.config.backends).length > 0)) return;
  try {
    await waitForPools(k, WAIT_MS, opts.schedulers);
  } catch (e) {
    const logs = k.logs();
    throw logs ? new Error(`${(e as Error).message} (pools never listed)\n${logs.slice(-6000)}`) : e;
  }
}
