import type { ConfirmPublisher } from '../rpc/amqp/confirm-publisher.js';
import { Topology } from '../rpc/amqp/topology.js';
import type { AmqpTransport } from '../rpc/amqp/amqp-transport.js';
import { messagingV2Envelope, type Notification, type NotificationSink } from './notifier.js';

/** Where notifications go on the broker. */
export interface AmqpSinkOptions {
  /** Topic exchange (`control_exchange`, default `openstack`). */
  readonly exchange?: string;
  /** `[oslo_messaging_notifications] topics` (default `notifications`). */
  readonly topics?: readonly string[];
  /** How long one notification may wait for the broker before `send` throws (default 60 s). */
  readonly publishTimeoutSeconds?: number;
}

/**
 * The `messagingv2` driver over RabbitMQ: each notification, in oslo's v2 envelope, is published
 * (persistent, confirmed) to the topic exchange with routing key `<topic>.<priority>`, e.g.
 * `notifications.info` or `notifications.error`. Like oslo, it declares the durable queue of that
 * name too, so notifications wait for their consumer (ceilometer, a test) instead of vanishing.
 */
export class AmqpNotificationSink implements NotificationSink {
  readonly #publisher: ConfirmPublisher;
  readonly #topology: Topology;
  readonly #topics: readonly string[];
  readonly #timeoutMs: number;

  constructor(publisher: ConfirmPublisher, opts: AmqpSinkOptions = {}) {
    this.#publisher = publisher;
    this.#topology = new Topology(opts.exchange ?? 'openstack');
    this.#topics = opts.topics?.length ? opts.topics : ['notifications'];
    this.#timeoutMs = (opts.publishTimeoutSeconds ?? 60) * 1000;
  }

  /** A sink sharing `transport`'s connection and control exchange. */
  static forTransport(transport: AmqpTransport, topics?: readonly string[]): AmqpNotificationSink {
    return new AmqpNotificationSink(transport.publisher, {
      exchange: transport.topology.controlExchange,
      ...(topics && { topics }),
    });
  }

  async send(n: Notification): Promise<void> {
    const body = messagingV2Envelope(n);
    const deadline = Date.now() + this.#timeoutMs;
    for (const topic of this.#topics) {
      const routingKey = `${topic}.${n.priority.toLowerCase()}`;
      await this.#publisher.publish(
        { exchange: this.#topology.controlExchange, routingKey, durable: true },
        body,
        [this.#topology.durableQueue(routingKey)],
        deadline,
      );
    }
  }
}
