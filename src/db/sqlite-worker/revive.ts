import SQLite from 'better-sqlite3';
import type { ErrorResponse } from './protocol.js';

/** Re-creates on this thread the error the worker caught, keeping its `message`, `name` and `code`. */
export function reviveError({ error }: ErrorResponse): Error {
  let err: Error;
  if (error.name === 'SqliteError' && error.code !== undefined)
    err = new SQLite.SqliteError(error.message, error.code);
  else if (error.name === 'TypeError') err = new TypeError(error.message);
  else if (error.name === 'RangeError') err = new RangeError(error.message);
  else {
    err = new Error(error.message);
    err.name = error.name;
  }
  if (error.code !== undefined) (err as Error & { code: string }).code = error.code;
  return err;
}

/** Turns the BLOBs of rows back into Buffers (structured clone delivers plain Uint8Arrays). */
export function reviveBlobs(rows: unknown[]): void {
  for (const row of rows as Record<string, unknown>[])
    for (const [k, v] of Object.entries(row))
      if (v instanceof Uint8Array && !Buffer.isBuffer(v))
        row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
