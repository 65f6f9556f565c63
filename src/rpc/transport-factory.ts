import type { Logger } from 'pino';
import { ConfigError } from '../common/errors.js';
import type { Config } from '../config/index.js';
import { AmqpTransport, type AmqpTransportOptions } from './amqp/amqp-transport.js';
import { redact } from './amqp/transport-url.js';
import { InprocTransport } from './inproc/inproc-transport.js';
import type { Transport } from './transport.js';

/**
 * An option that may not be in the typed option table (yet): its raw value from files or the
 * environment, parsed as a positive number, else `fallback`.
 */
function rawNumber(config: Config, section: string, name: string, fallback: number): number {
  const v = config.raw[section]?.[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`[${section}] ${name}: not a number: ${v}`);
  return n;
}

/**
 * The RabbitMQ options from config: `[DEFAULT] control_exchange` (`openstack`),
 * `rpc_response_timeout` (60), `[oslo_messaging_rabbit] rabbit_qos_prefetch_count` (32),
 * `heartbeat_timeout_threshold` (else the URL's `?heartbeat=`, else 60) and Kindling's own `publish_timeout` (60 s: how long a
 * cast waits for an absent broker before it fails).
 */
export function amqpOptionsFromConfig(config: Config, log?: Logger): AmqpTransportOptions {
  const rabbit = 'oslo_messaging_rabbit';
  return {
    url: config.DEFAULT.transport_url,
    controlExchange: config.raw.DEFAULT?.control_exchange || 'openstack',
    callTimeoutSeconds: rawNumber(config, 'DEFAULT', 'rpc_response_timeout', 60),
    prefetch: rawNumber(config, rabbit, 'rabbit_qos_prefetch_count', 32) || 32,
    ...(config.raw[rabbit]?.heartbeat_timeout_threshold && {
      heartbeatSeconds: rawNumber(config, rabbit, 'heartbeat_timeout_threshold', 60),
    }),
    publishTimeoutSeconds: rawNumber(config, rabbit, 'publish_timeout', 60),
    connectionName: `kindling@${config.DEFAULT.host}`,
    ...(log && { log: log.child({ component: 'amqp' }) }),
  };
}

/** The message bus named by `transport_url`: `inproc://` (embedded) or `rabbit://…`. */
export function createTransport(config: Config, log: Logger): Transport {
  const url = config.DEFAULT.transport_url;
  if (url.startsWith('inproc:'))
    return new InprocTransport((e, method) => log.error({ err: e, method }, 'RPC handler failed'));
  if (url.startsWith('rabbit:')) return new AmqpTransport(amqpOptionsFromConfig(config, log));
  throw new ConfigError(`transport_url ${redact(url)}: unsupported scheme (use inproc:// or rabbit://)`);
}
