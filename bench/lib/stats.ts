/** Latency statistics for the benchmarks. */

/** Nearest-rank percentile (`p` in 0..100) of `samples`; `NaN` when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50 and p99 of a sample set, in the samples' unit. */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
}

/** Summarises `samples` as count, p50 and p99. */
export function summarize(samples: readonly number[]): Summary {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Milliseconds with a precision that suits their size (`0.42`, `12.3`, `812`); `-` for NaN. */
export function fmtMs(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.now();
}
