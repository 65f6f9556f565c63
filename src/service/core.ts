import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { ConfigError } from '../common/errors.js';
import { registerLogger } from '../common/log-levels.js';
import { requestIdMixin, runInRequestScope } from '../common/request-scope.js';
import type { Config } from '../config/index.js';
import type { CoreDeps } from '../common/deps.js';
import { newUuid } from '../common/uuid.js';
import { openDatabase } from '../db/connection.js';
import { databaseOptionsFromConfig } from '../db/database-options.js';
import { migrateToLatest } from '../db/migrator.js';
import { MessageApi } from '../message/api.js';
import { LogSink, MemorySink, Notifier, type NotificationSink } from '../notify/notifier.js';
import { QuotaEngine } from '../quota/quota-engine.js';
import { DEFAULT_OPTION } from '../quota/resources.js';
import type { Endpoint, Transport } from '../rpc/transport.js';
import { createTransport } from '../rpc/transport-factory.js';
import { AmqpTransport } from '../rpc/amqp/amqp-transport.js';
import { AmqpNotificationSink } from '../notify/amqp-sink.js';
import { createCoordinator } from '../coordination/index.js';
import { databaseMetrics } from '../metrics/database.js';
import { meteredTransport } from '../rpc/metered.js';

/** Quota defaults from config (`quota_volumes`, …) keyed by resource name. */
export function quotaDefaults(config: Config): Record<string, number> {
  const d = config.DEFAULT as unknown as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const [resource, option] of Object.entries(DEFAULT_OPTION)) out[resource] = Number(d[option]);
  return out;
}

/**
 * Notification sinks from `[oslo_messaging_notifications] driver`: `messagingv2`/`messaging` go on
 * the bus when it is RabbitMQ (to the log otherwise), `log` to the log, `noop` nowhere.
 */
function createSinks(
  config: Config,
  log: Logger,
  transport: Transport,
  memory?: MemorySink,
): NotificationSink[] {
  const sinks: NotificationSink[] = [];
  for (const d of config.oslo_messaging_notifications.driver) {
    if ((d === 'messaging' || d === 'messagingv2') && transport instanceof AmqpTransport)
      sinks.push(
        AmqpNotificationSink.forTransport(transport, [...config.oslo_messaging_notifications.topics]),
      );
    else if (d === 'log' || d === 'messaging' || d === 'messagingv2')
      sinks.push(new LogSink(log.child({ component: 'notifications' })));
    else if (d === 'test' && memory) sinks.push(memory);
  }
  if (memory && !sinks.includes(memory)) sinks.push(memory);
  return sinks;
}

/** `[coordination] backend_url`, defaulting to the database when it is a server, as the design says. */
export function coordinationUrl(config: Config): string | null {
  if (config.coordination.backend_url) return config.coordination.backend_url;
  const db = config.database.connection;
  return /^(postgres|postgresql|mysql|mariadb)(\+[a-z0-9_]+)?:\/\//i.test(db) ? db : null;
}

/**
 * The process logger: JSON lines at `info` (`debug` with `[DEFAULT] debug = true`) on standard
 * output, or appended to `[DEFAULT] log_file` (its directory is created), or to `destination`
 * (tests). Every line written while a request is being worked on carries its `request_id`.
 *
 * NOTE: lines are written asynchronously (sonic-boom `sync: false`): lines logged while a write is
 * in flight go out together in the next one, instead of one blocking `write` per line on the event
 * loop. pino flushes what is pending synchronously when the process exits (also after an uncaught
 * exception); only a SIGKILL or a power loss can lose the lines of the last write in flight.
 * @throws ConfigError when the log file cannot be opened.
 */
export function createLogger(config: Config, destination?: DestinationStream): Logger {
  const options = {
    level: config.DEFAULT.debug ? 'debug' : 'info',
    base: { host: config.DEFAULT.host },
    mixin: requestIdMixin,
  };
  if (destination) return pino(options, destination);
  const file = config.DEFAULT.log_file;
  if (!file) return pino(options, pino.destination({ dest: 1, sync: false }));
  let fd: number;
  try {
    mkdirSync(dirname(file), { recursive: true });
    fd = openSync(file, 'a');
  } catch (err) {
    throw new ConfigError(`Cannot open log_file ${file}: ${(err as Error).message}`);
  }
  return pino(options, pino.destination({ dest: fd, sync: false }));
}

/**
 * `transport` with every endpoint it serves run in the scope of the caller's request (the
 * RequestContext's `requestId` each message carries), so what a service does for a message is
 * logged and notified with the request id that caused it.
 */
export function withRequestScopes(transport: Transport): Transport {
  const scoped = (endpoint: Endpoint): Endpoint =>
    Object.fromEntries(
      Object.entries(endpoint).map(([method, fn]) => [
        method,
        (ctx, args) => runInRequestScope(ctx.requestId, () => fn.call(endpoint, ctx, args)),
      ]),
    );
  return {
    cast: (target, method, args, ctx) => transport.cast(target, method, args, ctx),
    call: (target, method, args, ctx, timeoutSeconds) =>
      transport.call(target, method, args, ctx, timeoutSeconds),
    listen: (target, endpoint) => transport.listen(target, scoped(endpoint)),
    close: () => transport.close(),
    connected: () => transport.connected?.() ?? true,
  };
}

/** Options for building the core (tests pass a logger and a notification buffer). */
export interface CoreOptions {
  log?: Logger;
  notifications?: MemorySink;
}

/**
 * Opens the database (migrating it to the newest schema), and builds the bus, quotas, messages and
 * notifier from config: the shared base of every service.
 */
export async function createCore(config: Config, opts: CoreOptions = {}): Promise<CoreDeps> {
  const log = opts.log ?? createLogger(config);
  for (const w of config.warnings ?? [])
    log.warn({ config_source: w.source, section: w.section, option: w.option }, w.message);
  // With [metrics] enabled, statements and transactions are timed and RPC messages counted.
  const metrics = config.metrics.enabled;
  const dbh = await openDatabase(config.database.connection, {
    ...databaseOptionsFromConfig(config),
    ...(metrics && { observer: databaseMetrics }),
  });
  const result = await migrateToLatest(dbh, {
    defaultVolumeTypeId: newUuid(),
    quotaClassDefaults: quotaDefaults(config),
  });
  if (result.error)
    throw result.error instanceof Error
      ? result.error
      : new Error(`database migration failed: ${JSON.stringify(result.error)}`);
  const quotas = new QuotaEngine(dbh, {
    defaults: quotaDefaults(config),
    reservation_expire: config.DEFAULT.reservation_expire,
    use_default_quota_class: config.DEFAULT.use_default_quota_class,
  });
  registerLogger('kindling', log);
  const coordinator = createCoordinator(coordinationUrl(config), log.child({ component: 'coordination' }));
  await coordinator.start();
  const bus = createTransport(config, log);
  const transport = withRequestScopes(metrics ? meteredTransport(bus) : bus);
  return {
    config,
    dbh,
    quotas,
    coordinator,
    messages: new MessageApi(dbh.db, config.DEFAULT.message_ttl),
    notifier: new Notifier(createSinks(config, log, bus, opts.notifications), (e) =>
      log.warn({ err: e }, 'notification failed'),
    ),
    transport,
    log,
    async close() {
      await transport.close();
      await coordinator.stop();
      await dbh.close();
    },
  };
}
