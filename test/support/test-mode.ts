/** `KINDLING_TEST_MODE` and what follows from it, for the test harness modules. */
import type { TestMode } from './types.js';

/** The mode of this run: `KINDLING_TEST_MODE` (`embedded` when unset). */
export const TEST_MODE: TestMode = (() => {
  const v = process.env.KINDLING_TEST_MODE?.trim().toLowerCase() || 'embedded';
  if (v !== 'embedded' && v !== 'distributed')
    throw new Error(`KINDLING_TEST_MODE must be embedded or distributed, not ${v}`);
  return v;
})();

/**
 * Default patience of waits (a ceiling: a wait ends as soon as its condition holds): processes over
 * a broker are slower than one process, and a loaded 2-core machine slower than either.
 */
export const WAIT_MS = TEST_MODE === 'distributed' ? 60_000 : 30_000;
