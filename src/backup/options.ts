/**
 * The backup options of `[DEFAULT]` (Cinder's names and defaults: `backup/manager.py`,
 * `backup/chunkeddriver.py`, `backup/drivers/posix.py`, `backup/api.py`), read from the raw
 * config so this module owns them. `$state_path`-style references are substituted as oslo does.
 */
import { ConfigError } from '../common/errors.js';
import type { Config } from '../config/index.js';

/** What `backup_driver` may name, and the class name a backup row records as its `service`. */
export const POSIX_DRIVER = 'cinder.backup.drivers.posix.PosixBackupDriver';
const DRIVER_ALIASES: Readonly<Record<string, string>> = {
  posix: POSIX_DRIVER,
  'cinder.backup.drivers.posix': POSIX_DRIVER,
  [POSIX_DRIVER]: POSIX_DRIVER,
  'kindling.backup.drivers.posix.PosixBackupDriver': POSIX_DRIVER,
};

/** Compression names Cinder accepts, and what each means here. */
const COMPRESSION: Readonly<Record<string, 'none' | 'zlib' | null>> = {
  none: 'none',
  off: 'none',
  no: 'none',
  zlib: 'zlib',
  gzip: 'zlib',
  // NOTE: Node has no bz2 or zstd codec; Cinder's own text for a codec it cannot load is used.
  bz2: null,
  bzip2: null,
  zstd: null,
};

export interface BackupOptions {
  /**
   * Whether `kindling serve` runs a backup service in its process (`enable_backup`, Kindling's
   * own; default true). The distributed `kindling backup` ignores it.
   */
  readonly enable_backup: boolean;
  /** The driver's full name (`backup_driver`, `posix` accepted). */
  readonly backup_driver: string;
  /** Where the posix driver keeps backups (`backup_posix_path`, default `$state_path/backup`). */
  readonly backup_posix_path: string;
  /** Largest object (chunk) of a backup, bytes (`backup_file_size`). */
  readonly backup_file_size: number;
  /** Granularity of the sha256 list that incremental backups compare (`backup_sha_block_size_bytes`). */
  readonly backup_sha_block_size_bytes: number;
  /** `none` or `zlib` (`backup_compression_algorithm`; `gzip` is zlib, as in Cinder). */
  readonly backup_compression_algorithm: 'none' | 'zlib';
  /** The name written into each object's `compression` field (`zlib` or `gzip`). */
  readonly backup_compression_name: string;
  /** Default container (directory under the posix path) when a request names none. */
  readonly backup_container: string | null;
  /** Restore/delete go to the backup's own service rather than any up one (`backup_use_same_host`). */
  readonly backup_use_same_host: boolean;
  /** Chunks (or objects restored) between two progress notifications (`backup_object_number_per_notification`). */
  readonly backup_object_number_per_notification: number;
  /** Seconds between two timed progress notifications (`backup_timer_interval`). */
  readonly backup_timer_interval: number;
  /** Whether timed progress notifications are sent (`backup_enable_progress_timer`). */
  readonly backup_enable_progress_timer: boolean;
}

const TRUE = ['true', '1', 'on', 'yes'];
const FALSE = ['false', '0', 'off', 'no'];

function bool(raw: Record<string, string>, name: string, def: boolean): boolean {
  const v = raw[name];
  if (v === undefined) return def;
  const t = v.trim().toLowerCase();
  if (TRUE.includes(t)) return true;
  if (FALSE.includes(t)) return false;
  throw new ConfigError(`Invalid value for option ${name} in group [DEFAULT]: '${v}' (expected true/false)`);
}

function int(raw: Record<string, string>, name: string, def: number, min = 1): number {
  const v = raw[name];
  if (v === undefined || v.trim() === '') return def;
  if (!/^[+-]?\d+$/.test(v.trim()))
    throw new ConfigError(
      `Invalid value for option ${name} in group [DEFAULT]: '${v}' (expected an integer)`,
    );
  const n = Number(v.trim());
  if (n < min)
    throw new ConfigError(
      `Invalid value for option ${name} in group [DEFAULT]: '${v}' (should be >= ${min})`,
    );
  return n;
}

/** oslo's `$name` / `${name}` substitution against `[DEFAULT]` (what a path option needs). */
function substitute(text: string, config: Config): string {
  const d = config.DEFAULT as unknown as Record<string, unknown>;
  return text.replace(/\$(?:\{([_a-z][_a-z0-9]*)\}|([_a-z][_a-z0-9]*))/gi, (m, braced, bare) => {
    const v = d[String(braced ?? bare)];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : m;
  });
}

/** The backup options from `config` (config errors are thrown at start, loudly). */
export function backupOptions(config: Config): BackupOptions {
  const raw = config.raw.DEFAULT ?? {};
  const driverName = (raw.backup_driver ?? 'posix').trim();
  const backup_driver = DRIVER_ALIASES[driverName];
  if (!backup_driver)
    throw new ConfigError(
      `Unknown backup_driver '${driverName}': Kindling has the posix driver (${POSIX_DRIVER}, or 'posix')`,
    );
  const compressionName = (raw.backup_compression_algorithm ?? 'zlib').trim().toLowerCase();
  if (!(compressionName in COMPRESSION))
    throw new ConfigError(
      `Invalid value for option backup_compression_algorithm in group [DEFAULT]: '${compressionName}' (valid values are ${Object.keys(COMPRESSION).join(', ')})`,
    );
  const algorithm = COMPRESSION[compressionName];
  if (!algorithm) throw new ConfigError(`unsupported compression algorithm: ${compressionName}`);
  const sha = int(raw, 'backup_sha_block_size_bytes', 32768);
  const fileSize = int(raw, 'backup_file_size', 61035 * 32768);
  const statePath = config.DEFAULT.state_path.replace(/\/+$/, '');
  return {
    enable_backup: bool(raw, 'enable_backup', true),
    backup_driver,
    backup_posix_path: substitute(raw.backup_posix_path ?? `${statePath}/backup`, config),
    backup_file_size: fileSize,
    backup_sha_block_size_bytes: sha,
    backup_compression_algorithm: algorithm,
    backup_compression_name: algorithm === 'none' ? 'none' : compressionName,
    backup_container: raw.backup_container?.trim() || null,
    backup_use_same_host: bool(raw, 'backup_use_same_host', false),
    backup_object_number_per_notification: int(raw, 'backup_object_number_per_notification', 10, 0),
    backup_timer_interval: int(raw, 'backup_timer_interval', 120, 1),
    backup_enable_progress_timer: bool(raw, 'backup_enable_progress_timer', true),
  };
}
