/**
 * RabbitMQ connections for test plumbing — declaring, reading and deleting the queues of a test's
 * private exchange — as opposed to the services' own transport.
 */
import { Connection } from 'rabbitmq-client';
import { parseTransportUrl } from '../../src/rpc/amqp/transport-url.js';

/** A connection to the first broker of `rabbitUrl` (`rabbit://user:pass@host:port/vhost`). */
export function brokerConnection(rabbitUrl: string): Connection {
  const u = parseTransportUrl(rabbitUrl);
  const h = u.hosts[0]!;
  const conn = new Connection({
    hostname: h.hostname,
    port: h.port,
    username: h.username,
    password: h.password,
    vhost: u.vhost,
    connectionTimeout: 3000,
    retryLow: 100,
    retryHigh: 500,
  });
  // NOTE: connection errors surface through the awaited calls; an unhandled 'error' would crash.
  conn.on('error', () => {});
  return conn;
}

/** Deletes `queues`, then `exchange` when given, on `conn` (which stays open). */
export async function deleteBrokerObjects(
  conn: Connection,
  queues: Iterable<string>,
  exchange?: string,
): Promise<void> {
  for (const queue of queues) await conn.queueDelete({ queue });
  if (exchange !== undefined) await conn.exchangeDelete({ exchange });
}
