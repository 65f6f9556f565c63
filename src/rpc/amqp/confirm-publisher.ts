import { setTimeout as sleep } from 'node:timers/promises';
import {
  AMQPChannelError,
  AMQPConnectionError,
  type Channel,
  type Connection,
  type Envelope,
} from 'rabbitmq-client';
import { MessageDeliveryFailure } from '../../common/errors.js';
import { rpcPublishRetries } from '../../metrics/registry.js';
import type { Declaration } from './topology.js';

/** The logger methods the AMQP adapters use (a pino logger fits). */
export interface AmqpLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Channel errors that a retry cannot fix: the request itself is wrong. */
const PERMANENT = new Set(['ACCESS_REFUSED', 'PRECONDITION_FAILED', 'NOT_ALLOWED', 'COMMAND_INVALID']);

/** `p`, or a rejection once `deadline` (epoch ms) passes, whichever comes first. */
async function beforeDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('broker not reachable')), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Publishes in confirm mode on one channel: `publish` resolves only once the broker has taken the
 * message. It declares what the message needs first (once per channel). When the broker is away
 * it retries with back-off until the caller's deadline, then throws `MessageDeliveryFailure`:
 * a message is either confirmed or reported, never dropped silently.
 */
export class ConfirmPublisher {
  #ch: Channel | undefined;
  #opening: Promise<Channel> | undefined;
  /** Declarations done on the current channel. */
  #declared = new Set<string>();
  #closed = false;

  constructor(
    readonly connection: Connection,
    readonly log: AmqpLog,
  ) {}

  async #channel(): Promise<Channel> {
    if (this.#ch?.active) return this.#ch;
    this.#opening ??= (async () => {
      const ch = await this.connection.acquire();
      await ch.confirmSelect();
      // NOTE: after a reconnect, auto-delete exchanges may be gone; declare everything again.
      this.#declared = new Set();
      this.#ch = ch;
      return ch;
    })().finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  async #declare(ch: Channel, d: Declaration): Promise<void> {
    if (this.#declared.has(d.key)) return;
    if (d.exchange) await ch.exchangeDeclare(d.exchange);
    if (d.queue) await ch.queueDeclare(d.queue);
    if (d.binding) await ch.queueBind(d.binding);
    this.#declared.add(d.key);
  }

  /**
   * Publishes `body` (JSON) once the broker has `declarations`; resolves on the broker's confirm.
   * Retries until `deadline` (epoch ms) and then throws `MessageDeliveryFailure`.
   */
  async publish(
    envelope: Envelope,
    body: unknown,
    declarations: readonly Declaration[],
    deadline: number,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.#closed) throw new MessageDeliveryFailure('publisher is closed');
        const ch = await beforeDeadline(this.#channel(), deadline);
        for (const d of declarations) await this.#declare(ch, d);
        await ch.basicPublish(envelope, body);
        if (attempt > 1) this.log.info({ routingKey: envelope.routingKey, attempt }, 'published after retry');
        return;
      } catch (e) {
        const code = e instanceof AMQPChannelError ? e.code : undefined;
        const permanent =
          this.#closed || (code !== undefined && PERMANENT.has(code) && !(e instanceof AMQPConnectionError));
        const delay = Math.min(250 * 2 ** (attempt - 1), 5000);
        if (permanent || Date.now() + delay > deadline)
          throw new MessageDeliveryFailure(
            `Failed to publish message to ${envelope.exchange || '(default)'}/${envelope.routingKey ?? ''}` +
              ` after ${attempt} attempt(s): ${e instanceof Error ? e.message : String(e)}`,
          );
        rpcPublishRetries.inc();
        this.log.warn(
          { err: e, routingKey: envelope.routingKey, attempt, delay },
          'publish failed; retrying',
        );
        await sleep(delay);
      }
    }
  }

  /** Waits for outstanding confirms and closes the channel. */
  async close(): Promise<void> {
    this.#closed = true;
    const ch = this.#ch ?? (await this.#opening?.catch(() => undefined));
    if (ch?.active) await ch.close().catch(() => {});
  }
}
