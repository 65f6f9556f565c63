/**
 * Options that their modules read from `Config.raw` themselves instead of through a typed section
 * of `Config`: the backup service's (src/backup/options.ts), the RabbitMQ transport's
 * (src/rpc/transport-factory.ts) and `[database] max_pool_size` (src/db/database-options.ts).
 * Those modules keep parsing them; these tables declare them, with the same defaults, so the
 * configuration check knows them (no warning for a valid option) and the option listing shows
 * them. test/config/known-options.test.ts checks that every name those modules read is declared.
 */
import type { OptionDef } from './option-types.js';

const str = <T extends string | null>(d: T, help: string): OptionDef<T> => ({
  type: 'str',
  default: d,
  help,
});
const int = (d: number, help: string): OptionDef<number> => ({ type: 'int', default: d, help });
const bool = (d: boolean, help: string): OptionDef<boolean> => ({ type: 'bool', default: d, help });

/** `[DEFAULT]` options of the backup service (Cinder's names and defaults). */
export const BACKUP_OPTIONS = {
  enable_backup: bool(true, 'Kindling: `kindling serve` runs a backup service in its process.'),
  backup_driver: str('posix', 'Backup driver: posix (or cinder.backup.drivers.posix.PosixBackupDriver).'),
  backup_posix_path: str('$state_path/backup', 'Directory the posix backup driver writes backups to.'),
  backup_file_size: int(1999994880, 'Largest object (chunk) of a backup, in bytes.'),
  backup_sha_block_size_bytes: int(32768, 'Block size of the sha256 list incremental backups compare.'),
  backup_compression_algorithm: str('zlib', 'Compression of backup objects: zlib, gzip (the same) or none.'),
  backup_container: str<string | null>(
    null,
    'Directory under backup_posix_path used when a request names none.',
  ),
  backup_use_same_host: bool(false, "Restore and delete a backup on the backup's own service only."),
  backup_object_number_per_notification: int(
    10,
    'Chunks (backup_file_size bytes read; for a restore, objects written) between two backup progress notifications.',
  ),
  backup_timer_interval: int(120, 'Seconds between two timed backup progress notifications.'),
  backup_enable_progress_timer: bool(
    true,
    'Send backup progress notifications every backup_timer_interval seconds too.',
  ),
} as const;

/** `[DEFAULT]` options of the message bus (oslo.messaging's names). */
export const RPC_OPTIONS = {
  control_exchange: str('openstack', 'Exchange, and prefix of queue names, on RabbitMQ.'),
  rpc_response_timeout: int(60, 'Seconds an RPC call waits for its answer.'),
} as const;

/** `[oslo_messaging_rabbit]` options. */
export const RABBIT_OPTIONS = {
  rabbit_qos_prefetch_count: int(32, 'Messages a consumer may hold unacknowledged.'),
  heartbeat_timeout_threshold: int(
    60,
    "Seconds of broker silence before the connection is dropped (else the URL's ?heartbeat=).",
  ),
  publish_timeout: int(60, 'Kindling: seconds a cast waits for an absent broker before it fails.'),
} as const;

/** `[database]` options besides `connection`. */
export const DATABASE_POOL_OPTIONS = {
  max_pool_size: int(5, 'Connections in the pool of a PostgreSQL or MySQL database.'),
} as const;
