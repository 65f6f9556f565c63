/**
 * Reads a distributed Kindling's notifications back from RabbitMQ. With `[oslo_messaging_notifications]
 * driver = messagingv2` every service publishes to `<topic>.<priority>` on the control exchange
 * (src/notify/amqp-sink.ts); this declares those durable queues before the services start, so
 * nothing is missed, and hands each one to `deliver`.
 */
import type { Consumer } from 'rabbitmq-client';
import type { Notification } from '../../src/notify/notifier.js';
import { Topology } from '../../src/rpc/amqp/topology.js';
import { brokerConnection, deleteBrokerObjects } from './broker-connection.js';

/** Priorities of src/notify/notifier.ts, lower-cased as in the routing key. */
const PRIORITIES = ['debug', 'info', 'warn', 'error'] as const;

/** The oslo notification inside a messagingv2 envelope (decoded JSON, or its bytes). */
function unwrap(body: unknown): Notification {
  const decoded: unknown =
    Buffer.isBuffer(body) || typeof body === 'string' ? JSON.parse(body.toString()) : body;
  const envelope = decoded as { 'oslo.message'?: string };
  if (typeof envelope?.['oslo.message'] !== 'string')
    throw new Error(`not a messagingv2 envelope: ${JSON.stringify(decoded)}`);
  return JSON.parse(envelope['oslo.message']) as Notification;
}

export interface NotificationQueue {
  /** Stops consuming and deletes the queues. */
  close(): Promise<void>;
}

/** Declares the `notifications.<priority>` queues of `exchange` and consumes them into `deliver`. */
export async function consumeNotifications(
  rabbitUrl: string,
  exchange: string,
  deliver: (n: Notification) => void,
  topic = 'notifications',
): Promise<NotificationQueue> {
  const conn = brokerConnection(rabbitUrl);
  const topology = new Topology(exchange);
  const queues = PRIORITIES.map((p) => topology.durableQueue(`${topic}.${p}`));
  const consumers: Consumer[] = [];
  const close = async () => {
    await Promise.allSettled(consumers.map((c) => c.close()));
    try {
      const names = queues.map((q) => q.queue.queue!);
      await deleteBrokerObjects(conn, names);
    } finally {
      await conn.close();
    }
  };
  try {
    for (const q of queues) {
      const ready = new Promise<void>((resolve, reject) => {
        const c = conn.createConsumer(
          {
            queue: q.queue.queue!,
            queueOptions: q.queue,
            exchanges: [q.exchange],
            queueBindings: [q.binding],
          },
          (msg) => {
            deliver(unwrap(msg.body));
          },
        );
        consumers.push(c);
        let started = false;
        const timer = setTimeout(
          () => reject(new Error(`no consumer on ${q.queue.queue} within 10 s`)),
          10_000,
        );
        c.once('ready', () => {
          started = true;
          clearTimeout(timer);
          resolve();
        });
        // NOTE: errors after the start (a broker restart) are the consumer's to retry.
        c.on('error', (e: unknown) => {
          if (started) return;
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
      });
      await ready;
    }
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
  return { close };
}
