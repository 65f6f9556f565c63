import { pino, type Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { CoreDeps } from '../common/deps.js';
import { newUuid } from '../common/uuid.js';
import { openDatabase } from '../db/connection.js';
import { migrateToLatest } from '../db/migrator.js';
import { MessageApi } from '../message/api.js';
import { LogSink, MemorySink, Notifier, type NotificationSink } from '../notify/notifier.js';
import { QuotaEngine } from '../quota/quota-engine.js';
import { DEFAULT_OPTION } from '../quota/resources.js';
import { InprocTransport } from '../rpc/inproc/inproc-transport.js';
import type { Transport } from '../rpc/transport.js';

/** Quota defaults from config (`quota_volumes`, …) keyed by resource name. */
export function quotaDefaults(config: Config): Record<string, number> {
  const d = config.DEFAULT as unknown as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const [resource, option] of Object.entries(DEFAULT_OPTION)) out[resource] = Number(d[option]);
  return out;
}

function createTransport(config: Config, log: Logger): Transport {
  const url = config.DEFAULT.transport_url;
  if (url.startsWith('inproc:'))
    return new InprocTransport((e, method) => log.error({ err: e, method }, 'RPC handler failed'));
  throw new Error(`transport_url ${url}: only the in-process bus (inproc://) is available in this build`);
}

function createSinks(config: Config, log: Logger, memory?: MemorySink): NotificationSink[] {
  const sinks: NotificationSink[] = [];
  for (const d of config.oslo_messaging_notifications.driver) {
    if (d === 'log' || d === 'messaging' || d === 'messagingv2')
      sinks.push(new LogSink(log.child({ component: 'notifications' })));
    else if (d === 'test' && memory) sinks.push(memory);
  }
  if (memory && !sinks.includes(memory)) sinks.push(memory);
  return sinks;
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
  const dbh = await openDatabase(config.database.connection);
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
  return {
    config,
    dbh,
    quotas,
    messages: new MessageApi(dbh.db, config.DEFAULT.message_ttl),
    notifier: new Notifier(createSinks(config, log, opts.notifications), (e) =>
      log.warn({ err: e }, 'notification failed'),
    ),
    transport: createTransport(config, log),
    log,
  };
}
