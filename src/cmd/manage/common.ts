/**
 * What every `kindling manage` command family shares: where output goes, what a parsed command
 * line hands back to run, and cinder-manage's ways of printing tables and times.
 */
import type { Config } from '../../config/index.js';
import type { DatabaseHandle } from '../../db/connection.js';

/** The loaded configuration and where a command's output lines go. */
export interface Io {
  readonly config: Config;
  /** One line of normal output. */
  readonly out: (line: string) => void;
  /** One line of error output. */
  readonly err: (line: string) => void;
}

/**
 * A command line, parsed and checked, ready to run. Returns the exit code: 0 done, 1 failed (one
 * line on `err` says why), 2 a lookup found nothing (as cinder-manage's `service remove`).
 */
export type ManageAction =
  | { readonly database: true; run(h: DatabaseHandle): Promise<number> }
  | { readonly database: false; run(): Promise<number> };

/** Called by a command's commander action with what to run once parsing is done. */
export type Select = (action: ManageAction) => void;

/** A command that cannot run as asked: printed as one line on `err`, exit code 1. */
export class ManageError extends Error {}

/** `2024-01-01T10:00:00.000000` → `2024-01-01 10:00:00`, as cinder-manage prints datetimes. */
export function shortTime(ts: string | null): string {
  return ts ? ts.slice(0, 19).replace('T', ' ') : '';
}

/** Rows as left-aligned columns, each at least `widths[i]` wide (cinder-manage's `%-Ns`). */
export function columns(rows: readonly string[][], widths: readonly number[]): string[] {
  const w = widths.map((min, i) => Math.max(min, ...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(w[i]!))
      .join(' ')
      .trimEnd(),
  );
}

/** A value as Python's `%s` prints it (`None` for null), for output kept identical to Cinder's. */
export function pyStr(value: string | number | null | undefined): string {
  return value === null || value === undefined ? 'None' : String(value);
}
