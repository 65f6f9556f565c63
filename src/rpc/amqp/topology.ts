import { randomUUID } from 'node:crypto';
import type { Cmd, MethodParams } from 'rabbitmq-client';
import type { Target } from '../transport.js';

type ExchangeDeclare = MethodParams[Cmd.ExchangeDeclare];
type QueueDeclare = MethodParams[Cmd.QueueDeclare];
type QueueBind = MethodParams[Cmd.QueueBind];

/**
 * Broker objects a message needs before it is published or consumed. `key` names the set, so a
 * publisher declares each one once per channel.
 */
export interface Declaration {
  readonly key: string;
  readonly exchange?: ExchangeDeclare;
  readonly queue?: QueueDeclare;
  readonly binding?: QueueBind;
}

/** A queue with its exchange and binding, as a consumer declares it. */
export type ListenerQueue = Required<Declaration>;

/**
 * The names, after oslo.messaging's rabbit driver:
 * - one durable topic exchange (`control_exchange`, `openstack` by default);
 * - a cast to a topic goes to the durable queue named like the topic (competing consumers);
 * - a cast to a topic and server goes to the durable queue `<topic>.<server>`;
 * - a fanout goes to the exchange `<topic>_fanout`, bound to one auto-delete queue per listener;
 * - replies go through the default exchange to the caller's exclusive queue `reply_<uuid>`.
 */
export class Topology {
  /**
   * NOTE: queue and fanout-exchange names are global in a vhost, not per exchange. A deployment
   * that picks its own `control_exchange` gets them prefixed with it, so two deployments sharing a
   * broker (or parallel test clusters) never consume each other's messages; the default
   * `openstack` keeps oslo's plain names.
   */
  readonly #prefix: string;

  constructor(readonly controlExchange: string) {
    this.#prefix = controlExchange === 'openstack' ? '' : `${controlExchange}.`;
  }

  /** Routing key, and queue name, of a non-fanout target. */
  routingKey(target: Target): string {
    return target.server ? `${target.topic}.${target.server}` : target.topic;
  }

  fanoutExchange(topic: string): string {
    return `${this.#prefix}${topic}_fanout`;
  }

  /** A fresh per-listener fanout queue name. */
  fanoutQueue(topic: string): string {
    return `${this.#prefix}${topic}_fanout_${hex()}`;
  }

  /** A fresh per-transport reply queue name. */
  replyQueue(): string {
    return `reply_${hex()}`;
  }

  #exchangeParams(): ExchangeDeclare {
    return { exchange: this.controlExchange, type: 'topic', durable: true };
  }

  /** The control exchange alone. */
  exchange(): Declaration {
    return { key: `x:${this.controlExchange}`, exchange: this.#exchangeParams() };
  }

  /** The durable queue `name` bound to the control exchange under the same routing key. */
  durableQueue(name: string): ListenerQueue {
    const queue = `${this.#prefix}${name}`;
    return {
      key: `q:${this.controlExchange}:${name}`,
      exchange: this.#exchangeParams(),
      queue: { queue, durable: true },
      binding: { queue, exchange: this.controlExchange, routingKey: name },
    };
  }

  /** The fanout exchange of a topic (non-durable, deleted with its last queue, as oslo's). */
  fanout(topic: string): Declaration {
    const exchange = this.fanoutExchange(topic);
    return { key: `x:${exchange}`, exchange: { exchange, type: 'fanout', durable: false, autoDelete: true } };
  }

  /**
   * The queues a listener on `target` consumes, as oslo's: the shared topic queue, the server's
   * own queue (when a server is named) and a fresh exclusive queue on the topic's fanout exchange
   * (unless `fanout: false`).
   */
  listenerQueues(target: Target): ListenerQueue[] {
    const out: ListenerQueue[] = [this.durableQueue(target.topic)];
    if (target.server)
      out.push(this.durableQueue(this.routingKey({ topic: target.topic, server: target.server })));
    if (target.fanout === false) return out;
    const fanout = this.fanout(target.topic);
    const queue = this.fanoutQueue(target.topic);
    out.push({
      key: `q:${queue}`,
      exchange: fanout.exchange!,
      queue: { queue, exclusive: true, autoDelete: true, durable: false },
      binding: { queue, exchange: this.fanoutExchange(target.topic), routingKey: '' },
    });
    return out;
  }

  /** What a publisher of `target` makes sure exists before it sends. */
  forPublish(target: Target): Declaration {
    return target.fanout ? this.fanout(target.topic) : this.durableQueue(this.routingKey(target));
  }
}

/** A random id without dashes (oslo's `uuid.uuid4().hex`). */
export function hex(): string {
  return randomUUID().replaceAll('-', '');
}
