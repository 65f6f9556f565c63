import { pino, type Logger } from 'pino';
import { registerLogger } from '../common/log-levels.js';
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
import type { Transport } from '../rpc/transport.js';
import { createTransport } from '../rpc/transport-factory.js';
import { AmqpTransport } from '../rpc/amqp/amqp-transport.js';
import { AmqpNotificationSink } from '../notify/amqp-sink.js';
import { createCoordinator } from '../coordination/index.js';

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
  const log =
    opts.log ?? pino({ level: config.DEFAULT.debug ? 'debug' : 'info', base: { host: config.DEFAULT.host } });
  const dbh = await openDatabase(config.database.connection, databaseOptionsFromConfig(config));
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
  const transport = createTransport(config, log);
  return {
    config,
    dbh,
    quotas,
    coordinator,
    messages: new MessageApi(dbh.db, config.DEFAULT.message_ttl),
    notifier: new Notifier(createSinks(config, log, transport, opts.notifications), (e) =>
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
