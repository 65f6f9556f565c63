import type { Logger } from 'pino';
import { ConfigError } from '../common/errors.js';
import type { Coordinator } from './coordinator.js';
import { InprocCoordinator } from './inproc.js';
import { MysqlCoordinator } from './mysql.js';
import { PostgresCoordinator } from './postgres.js';
import { RedisCoordinator } from './redis.js';

/**
 * The coordinator for `[coordination] backend_url`, tooz style, chosen by the URL scheme:
 * unset or `inproc://` → in this process only; `postgresql://` (`postgres://`, `+driver` suffixes)
 * → advisory locks; `mysql://` (`mysql+pymysql://`) → `GET_LOCK`; `redis://`/`rediss://` → TTL
 * keys. Nothing connects until `start()`. Throws `ConfigError` for any other scheme.
 */
export function createCoordinator(backendUrl: string | null | undefined, log: Logger): Coordinator {
  const url = backendUrl?.trim() ?? '';
  if (url === '') return new InprocCoordinator();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
  const base = scheme.split('+')[0];
  switch (base) {
    case 'inproc':
      return new InprocCoordinator();
    case 'postgres':
    case 'postgresql':
      return new PostgresCoordinator(url, log);
    case 'mysql':
      return new MysqlCoordinator(url, log);
    case 'redis':
    case 'rediss':
      return new RedisCoordinator(url, log);
    default:
      // NOTE: tooz's file:// driver relies on fcntl locks, which Node cannot take; in one process
      // inproc:// is equivalent, across processes use a server backend.
      throw new ConfigError(
        `[coordination] backend_url: unsupported backend ${JSON.stringify(scheme)}; use inproc://, postgresql://, mysql:// or redis://`,
      );
  }
}
