import { Connection, type AsyncMessage, type Consumer } from 'rabbitmq-client';
import type { RequestContext } from '../../common/context.js';
import { MessageDeliveryFailure } from '../../common/errors.js';
import { rpcDuplicatesDropped } from '../../metrics/registry.js';
import { MessagingTimeout, type Endpoint, type Listener, type Target, type Transport } from '../transport.js';
import { ConfirmPublisher, type AmqpLog } from './confirm-publisher.js';
import { DuplicateChecker } from './duplicate-checker.js';
import { decodeRequest, encodeReply, encodeRequest } from './oslo-message.js';
import { PendingReplies } from './pending-replies.js';
import { serializeFailure } from './remote-error.js';
import { startConsumer } from './start-consumer.js';
import { hex, Topology } from './topology.js';
import { parseTransportUrl, redact } from './transport-url.js';

/** How to reach the broker and how patient to be with it. */
export interface AmqpTransportOptions {
  /** `rabbit://user:pass@host:port[,…]/vhost` */
  readonly url: string;
  /** Topic exchange for RPC (`control_exchange`, default `openstack`). */
  readonly controlExchange?: string;
  /** Unacked messages a consumer may hold (`rabbit_qos_prefetch_count`, default 32). */
  readonly prefetch?: number;
  /** How long a publish may wait for the broker, retrying, before it throws (default 60 s). */
  readonly publishTimeoutSeconds?: number;
  /** Default `call` timeout (`rpc_response_timeout`, default 60 s). */
  readonly callTimeoutSeconds?: number;
  /** Heartbeat in seconds (`heartbeat_timeout_threshold`, default 60; 0 disables). */
  readonly heartbeatSeconds?: number;
  /** Shown in the broker's connection list. */
  readonly connectionName?: string;
  readonly log?: AmqpLog;
}

const silent: AmqpLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The RabbitMQ transport (`rabbit://`), laid out like oslo.messaging's rabbit driver (see
 * {@link Topology}). Delivery is at-least-once: casts are persistent and publisher-confirmed,
 * consumers ack only after the endpoint has finished (a failing endpoint is logged and acked), and
 * a message whose consumer died unacked is redelivered. A consumer drops redeliveries of messages
 * it has already handled, by `_unique_id`. The client reconnects with back-off and re-creates
 * every consumer; publishes during an outage retry until `publishTimeoutSeconds`, then throw.
 */
export class AmqpTransport implements Transport {
  /** The broker connection (shared with the notification sink). */
  readonly connection: Connection;
  readonly topology: Topology;
  readonly publisher: ConfirmPublisher;
  readonly #log: AmqpLog;
  readonly #prefetch: number;
  readonly #publishTimeoutMs: number;
  readonly #callTimeout: number;
  readonly #listeners = new Set<Listener>();
  readonly #pending: PendingReplies;
  #replyQueue: string | undefined;
  #replyConsumer: Promise<Consumer> | undefined;
  #closed = false;

  constructor(opts: AmqpTransportOptions) {
    const url = parseTransportUrl(opts.url);
    const first = url.hosts[0]!;
    this.#log = opts.log ?? silent;
    this.#prefetch = opts.prefetch ?? 32;
    this.#publishTimeoutMs = (opts.publishTimeoutSeconds ?? 60) * 1000;
    this.#callTimeout = opts.callTimeoutSeconds ?? 60;
    this.topology = new Topology(opts.controlExchange ?? 'openstack');
    const ssl = url.query.ssl ?? '';
    this.connection = new Connection({
      hosts: url.hosts.map((h) => `${h.hostname}:${h.port}`),
      username: first.username,
      password: first.password,
      vhost: url.vhost,
      tls: ['1', 'true', 'yes', 'on'].includes(ssl.toLowerCase()),
      heartbeat: opts.heartbeatSeconds ?? (Number(url.query.heartbeat) || 60),
      connectionName: opts.connectionName ?? 'kindling',
      retryLow: 500,
      retryHigh: 5000,
      acquireTimeout: 10_000,
    });
    const where = redact(opts.url);
    this.connection.on('error', (err: unknown) =>
      this.#log.warn({ err, url: where }, 'AMQP connection error'),
    );
    this.connection.on('connection', () => this.#log.info({ url: where }, 'AMQP connected'));
    this.publisher = new ConfirmPublisher(this.connection, this.#log);
    this.#pending = new PendingReplies(this.#log);
  }

  /** Whether the broker connection is up now (the client reconnects by itself when it is not). */
  connected(): boolean {
    return !this.#closed && this.connection.ready;
  }

  /** Resolves once the broker is reachable; rejects after `timeoutMs` (the client keeps trying). */
  async ready(timeoutMs = 10_000): Promise<void> {
    await this.connection.onConnect(timeoutMs, true);
  }

  async #send(
    target: Target,
    body: unknown,
    extra: Record<string, unknown>,
    deadline: number,
  ): Promise<void> {
    const exchange = target.fanout
      ? this.topology.fanoutExchange(target.topic)
      : this.topology.controlExchange;
    const routingKey = target.fanout ? '' : this.topology.routingKey(target);
    await this.publisher.publish(
      { exchange, routingKey, durable: !target.fanout, ...extra },
      body,
      [this.topology.forPublish(target)],
      deadline,
    );
  }

  async cast(
    target: Target,
    method: string,
    args: Record<string, unknown>,
    ctx: RequestContext,
  ): Promise<void> {
    if (this.#closed) throw new MessageDeliveryFailure('transport is closed');
    const body = encodeRequest({ method, args, ctx, uniqueId: hex() });
    await this.#send(target, body, {}, Date.now() + this.#publishTimeoutMs);
  }

  async call<T = unknown>(
    target: Target,
    method: string,
    args: Record<string, unknown>,
    ctx: RequestContext,
    timeoutSeconds = this.#callTimeout,
  ): Promise<T> {
    if (this.#closed) throw new MessageDeliveryFailure('transport is closed');
    if (target.fanout) throw new Error('call() cannot be sent to a fanout target');
    const started = Date.now();
    const replyQ = await this.#replies(timeoutSeconds);
    const msgId = hex();
    const remaining = Math.max(1, timeoutSeconds * 1000 - (Date.now() - started));
    const answer = this.#pending.expect(
      msgId,
      remaining,
      () => new MessagingTimeout(target.topic, method, timeoutSeconds),
    );
    const body = encodeRequest({
      method,
      args,
      ctx,
      uniqueId: hex(),
      msgId,
      replyQ,
      timeout: timeoutSeconds,
    });
    try {
      // NOTE: the request expires with the caller's patience, so nobody works on a stale call.
      await this.#send(
        target,
        body,
        { replyTo: replyQ, correlationId: msgId, expiration: String(Math.ceil(remaining)) },
        Date.now() + remaining,
      );
    } catch (e) {
      this.#pending.cancel(msgId);
      throw e;
    }
    return (await answer) as T;
  }

  /** The reply queue, created (and consumed) on the first call. */
  async #replies(timeoutSeconds: number): Promise<string> {
    this.#replyQueue ??= this.topology.replyQueue();
    const queue = this.#replyQueue;
    this.#replyConsumer ??= startConsumer(
      this.connection,
      {
        queue,
        queueOptions: { exclusive: true, autoDelete: true, durable: false },
        noAck: true,
      },
      (msg) => this.#pending.deliver(msg.body),
      timeoutSeconds * 1000,
      this.#log,
    ).catch((e: unknown) => {
      this.#replyConsumer = undefined;
      throw e;
    });
    await this.#replyConsumer;
    return queue;
  }

  async listen(target: Target, endpoint: Endpoint): Promise<Listener> {
    if (this.#closed) throw new MessageDeliveryFailure('transport is closed');
    const consumers: Consumer[] = [];
    const stop = async (): Promise<void> => {
      this.#listeners.delete(listener);
      await Promise.all(consumers.map((c) => c.close()));
    };
    const listener: Listener = { stop };
    try {
      for (const q of this.topology.listenerQueues(target)) {
        const dedup = new DuplicateChecker();
        consumers.push(
          await startConsumer(
            this.connection,
            {
              queue: q.queue.queue,
              queueOptions: q.queue,
              exchanges: [q.exchange],
              queueBindings: [q.binding],
              qos: { prefetchCount: this.#prefetch },
              concurrency: this.#prefetch,
            },
            (msg) => this.#dispatch(endpoint, msg, dedup),
            this.#publishTimeoutMs,
            this.#log,
          ),
        );
      }
    } catch (e) {
      await stop();
      throw e;
    }
    this.#listeners.add(listener);
    return listener;
  }

  /**
   * Runs one delivered request and, for a call, publishes the reply. Never throws: the message is
   * acked when this returns, whatever the endpoint did (a failing endpoint is not redelivered).
   */
  async #dispatch(endpoint: Endpoint, msg: AsyncMessage, dedup: DuplicateChecker): Promise<void> {
    let req;
    try {
      req = decodeRequest(msg.body);
    } catch (err) {
      this.#log.error({ err, routingKey: msg.routingKey }, 'malformed RPC message dropped');
      return;
    }
    if (dedup.seen(req.uniqueId)) {
      rpcDuplicatesDropped.inc();
      this.#log.info({ method: req.method, uniqueId: req.uniqueId }, 'duplicate RPC message dropped');
      return;
    }
    let result: unknown;
    let failure: unknown;
    let failed = false;
    try {
      const fn = endpoint[req.method];
      if (!fn) throw new Error(`Endpoint does not support RPC method ${req.method}`);
      result = await fn.call(endpoint, req.ctx, req.args);
    } catch (e) {
      failed = true;
      failure = e;
      this.#log[req.replyQ ? 'warn' : 'error']({ err: e, method: req.method }, 'RPC handler failed');
    }
    if (!req.replyQ || !req.msgId) return;
    let reply;
    try {
      reply = encodeReply({
        msgId: req.msgId,
        result: failed ? null : result,
        failure: failed ? serializeFailure(failure) : null,
      });
    } catch (e) {
      // NOTE: a result that is not JSON (a BigInt, a cycle) fails the call instead of timing it out.
      reply = encodeReply({ msgId: req.msgId, failure: serializeFailure(e) });
    }
    try {
      await this.publisher.publish(
        { exchange: '', routingKey: req.replyQ, correlationId: req.msgId },
        reply,
        [],
        Date.now() + Math.min((req.timeout ?? this.#callTimeout) * 1000, this.#publishTimeoutMs),
      );
    } catch (err) {
      this.#log.warn({ err, method: req.method }, 'RPC reply could not be sent');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const l of [...this.#listeners]) await l.stop();
    this.#pending.rejectAll(new MessageDeliveryFailure('transport closed while waiting for a reply'));
    const replies = await this.#replyConsumer?.catch(() => undefined);
    await replies?.close();
    await this.publisher.close();
    await this.connection.close();
  }
}
