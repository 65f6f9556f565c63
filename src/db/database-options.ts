import type { Config } from '../config/index.js';
import { ConfigError } from '../common/errors.js';
import type { OpenDatabaseOptions } from './connection.js';

/**
 * `openDatabase` options from cinder.conf `[database]`: `max_pool_size` (oslo.db's name; default 5).
 * Read from the typed section when the option is declared there, else from the raw section, so a
 * config file can set it either way.
 */
export function databaseOptionsFromConfig(config: Config): OpenDatabaseOptions {
  const typed = (config.database as unknown as Record<string, unknown>).max_pool_size;
  const raw = typed ?? config.raw.database?.max_pool_size;
  if (raw === undefined || raw === null || raw === '') return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`[database] max_pool_size must be a positive integer, got ${JSON.stringify(raw)}`);
  return { maxPoolSize: n };
}
