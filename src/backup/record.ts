/**
 * Export records (Cinder's `Backup.encode_record` / `decode_record`): every column of the backup,
 * its metadata and the driver's `driver_info`, as base64 of JSON. A record Cinder exported can be
 * imported here and the other way round (timestamps as `2026-11-22T01:33:58Z`, as oslo writes them).
 */
import { InvalidInput } from '../common/errors.js';
import type { BackupRecord } from '../db/api/backups.js';
import type { BackupsTable } from '../db/schema.js';
import { formatTimestamp } from '../common/time.js';

/** The backup's columns an import may set (what Cinder's `backup.update(backup_options)` keeps). */
export const IMPORTABLE_COLUMNS = [
  'volume_id',
  'availability_zone',
  'display_name',
  'display_description',
  'container',
  'size',
  'service_metadata',
  'object_count',
  'parent_id',
  'num_dependent_backups',
  'snapshot_id',
  'data_timestamp',
  'encryption_key_id',
  'created_at',
] as const satisfies readonly (keyof BackupsTable)[];

const TIMESTAMPS = new Set(['created_at', 'updated_at', 'deleted_at', 'data_timestamp']);

/** oslo's `isotime`: `YYYY-MM-DDTHH:MM:SSZ`. */
function isotime(ts: string | null): string | null {
  return ts ? `${ts.slice(0, 19)}Z` : null;
}

/** Base64 of the JSON record of `b`, with `driver_info`. */
export function encodeRecord(b: BackupRecord, driverInfo: Record<string, unknown>): string {
  const record: Record<string, unknown> = { driver_info: driverInfo };
  for (const [k, v] of Object.entries(b)) record[k] = TIMESTAMPS.has(k) ? isotime(v as string | null) : v;
  record.deleted = b.deleted === 1;
  return Buffer.from(JSON.stringify(record), 'utf8').toString('base64');
}

/** The record inside `backupUrl`; Cinder's `InvalidInput` texts when it is not one. */
export function decodeRecord(backupUrl: string): Record<string, unknown> {
  let text: string;
  try {
    text = Buffer.from(backupUrl, 'base64').toString('utf8');
  } catch {
    throw new InvalidInput("Can't decode backup record.");
  }
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new InvalidInput("Can't parse backup record.");
  }
}

/** A record's timestamp in Kindling's stored form, or null. */
export function recordTimestamp(v: unknown): string | null {
  if (typeof v !== 'string' || !v) return null;
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(d.getTime()) ? null : formatTimestamp(d);
}

/** Column values of an imported record (unknown keys dropped, types checked loosely). */
export function importedColumns(record: Record<string, unknown>): Partial<BackupsTable> {
  const out: Record<string, string | number | null> = {};
  for (const col of IMPORTABLE_COLUMNS) {
    if (!(col in record)) continue;
    const v = record[col];
    if (TIMESTAMPS.has(col)) out[col] = recordTimestamp(v);
    else if (col === 'size' || col === 'object_count' || col === 'num_dependent_backups')
      out[col] = v === null || v === undefined ? (col === 'num_dependent_backups' ? 0 : null) : Number(v);
    else out[col] = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
  }
  if (out.created_at === null) delete out.created_at;
  return out;
}
