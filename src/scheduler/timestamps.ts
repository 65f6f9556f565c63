/**
 * Capability report timestamps. Cinder sends them over RPC as naive UTC strings in oslo's
 * `PERFECT_TIME_FORMAT` (`YYYY-MM-DDTHH:MM:SS.ffffff`) and shows them the same way in get_pools.
 */

const NAIVE_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/;

/**
 * A report timestamp as a Date: Dates pass through; naive strings are read as UTC (fraction
 * kept to the millisecond); other strings go to `Date`. Missing or unreadable → `fallback`.
 */
export function parseTimestamp(value: string | Date | null | undefined, fallback: Date): Date {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? fallback : value;
  if (typeof value !== 'string' || value === '') return fallback;
  const m = NAIVE_RE.exec(value);
  const text = m ? `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z` : value;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? fallback : d;
}

/** A Date in oslo's `PERFECT_TIME_FORMAT` (naive UTC, microseconds). */
export function formatTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000`;
}
