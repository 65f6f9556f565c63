/**
 * The configuration a service will run with, checked before anything starts: `loadConfig`'s own
 * checks, then those of the options that other modules parse themselves (backup, database pool,
 * RabbitMQ), so that one run reports every problem it can find.
 */
import { backupOptions } from '../backup/options.js';
import { ConfigError } from '../common/errors.js';
import { ConfigErrors, loadConfig, type Config, type LoadConfigOptions } from '../config/index.js';
import { databaseOptionsFromConfig } from '../db/database-options.js';
import { amqpOptionsFromConfig } from '../rpc/transport-factory.js';

/** Which services the process runs (the backup options are checked only where a backup service runs). */
export interface ConfigCheckOptions extends LoadConfigOptions {
  readonly backup?: boolean;
}

/**
 * `loadConfig(options)`, then the checks of the options other modules read.
 * @throws ConfigErrors listing every problem found (one line each).
 */
export function loadCheckedConfig(options: ConfigCheckOptions = {}): Config {
  // NOTE: when loadConfig fails the checks below cannot run (they need a Config); its list is
  // complete for what it reads.
  const config = loadConfig(options);
  const problems: string[] = [];
  const check = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message);
    }
  };
  if (options.backup) check(() => backupOptions(config));
  check(() => databaseOptionsFromConfig(config));
  if (config.DEFAULT.transport_url.startsWith('rabbit:')) check(() => amqpOptionsFromConfig(config));
  if (problems.length) throw new ConfigErrors(problems, config.warnings);
  return config;
}
