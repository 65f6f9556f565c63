/** A test Kindling that lives as long as one test (both test modes). */
import { startTestKindling } from './kindling.js';
import type { StartOptions, TestKindling } from './types.js';

/** Starts a Kindling (as `startTestKindling`) and closes it when test `t` ends. */
export async function startForTest(
  t: { after(fn: () => Promise<void>): void },
  envOverrides: Record<string, string> = {},
  opts: StartOptions = {},
): Promise<TestKindling> {
  const k = await startTestKindling(envOverrides, opts);
  t.after(() => k.close());
  return k;
}
