import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Mutex } from 'redis-semaphore';
import { ConfigError } from '../common/errors.js';
import { pollUntil } from './coordinator.js';
import { DistributedCoordinator } from './distributed.js';
import type { ConnectionLost, HoldLost, RemoteHold } from './distributed.js';

/** tooz's default `lock_timeout`: seconds a lock outlives a holder that stopped refreshing it. */
const DEFAULT_LOCK_TIMEOUT = 30;

interface RedisLibs {
  readonly Redis: typeof Redis;
  readonly Mutex: typeof Mutex;
}

let libs: Promise<RedisLibs> | undefined;

/**
 * ioredis and redis-semaphore, loaded on first use (embedded mode never pays for them). The mutex
 * is redis-semaphore's, except that a refresh that fails (connection gone) reports the lock lost
 * instead of rejecting inside a timer, which would be an unhandled rejection.
 */
function loadRedisLibs(): Promise<RedisLibs> {
  libs ??= Promise.all([import('ioredis'), import('redis-semaphore')]).then(([ioredis, semaphore]) => {
    class RefreshSafeMutex extends semaphore.Mutex {
      protected override async _refresh(): Promise<boolean> {
        try {
          return await super._refresh();
        } catch {
          return false;
        }
      }
    }
    return { Redis: ioredis.Redis, Mutex: RefreshSafeMutex };
  });
  return libs;
}

/**
 * Locks as Redis keys with a TTL (`backend_url = redis://host:port[/db][?lock_timeout=S]`) through
 * redis-semaphore's `Mutex`: the holder refreshes the TTL in the background, so a crashed holder's
 * lock expires after `lock_timeout` seconds (default 30).
 */
export class RedisCoordinator extends DistributedCoordinator {
  readonly #url: string;
  readonly #lockTimeoutMs: number;
  #client: Redis | null = null;
  #Mutex: typeof Mutex | null = null;

  /** `url` is an ioredis URL; `lock_timeout` (seconds) is taken out of its query. */
  constructor(url: string, log: Logger) {
    super(log.child({ coordination: 'redis' }));
    const u = new URL(url);
    const timeout = Number(u.searchParams.get('lock_timeout') ?? DEFAULT_LOCK_TIMEOUT);
    if (!(timeout > 0)) throw new ConfigError(`[coordination] backend_url: bad lock_timeout in ${url}`);
    u.searchParams.delete('lock_timeout');
    this.#url = u.toString();
    this.#lockTimeoutMs = Math.round(timeout * 1000);
  }

  protected override async openConnection(lost: ConnectionLost): Promise<void> {
    // NOTE: no automatic reconnect and no offline queue: a dropped connection ends this session
    // (its locks are reported lost) and commands fail at once instead of waiting; the next lock()
    // opens a new client.
    const { Redis, Mutex } = await loadRedisLibs();
    this.#Mutex = Mutex;
    const client = new Redis(this.#url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectionName: 'kindling-coordination',
    });
    client.on('error', (err: Error) => this.log.debug({ err }, 'redis coordination client error'));
    client.on('close', () => {
      if (this.#client === client) this.#client = null;
      client.disconnect();
      lost(new Error('connection to Redis closed'));
    });
    await client.connect();
    this.#client = client;
  }

  protected override async closeConnection(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  protected override async acquireRemote(
    name: string,
    deadline: number,
    lost: HoldLost,
  ): Promise<RemoteHold | null> {
    const client = this.#client;
    const Mutex = this.#Mutex;
    if (!client || !Mutex) throw new Error('Redis coordination connection is not open');
    const mutex = new Mutex(client, `kindling:${name}`, {
      lockTimeout: this.#lockTimeoutMs,
      // NOTE: one SET NX per tryAcquire(); pollUntil does the waiting and back-off.
      acquireAttemptsLimit: 1,
      acquireTimeout: this.#lockTimeoutMs,
      refreshInterval: Math.max(1, Math.round(this.#lockTimeoutMs / 3)),
      onLockLost: (err) => lost(err.message),
    });
    if (!(await pollUntil(() => mutex.tryAcquire(), deadline))) return null;
    return {
      release: () => mutex.release(),
      abandon: () => mutex.stopRefresh(),
    };
  }
}
