/**
 * Shared helpers for tests against a real RabbitMQ (`KINDLING_TEST_RABBIT_URL`, default the local
 * broker on 127.0.0.1:5672, guest/guest). Every test uses its own control exchange and topic
 * names, so parallel test files never share a queue, and deletes what it declared at the end.
 */
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../../src/common/context.js';
import { AmqpTransport, type AmqpTransportOptions } from '../../../src/rpc/amqp/amqp-transport.js';
import { parseTransportUrl } from '../../../src/rpc/amqp/transport-url.js';
import { brokerConnection, deleteBrokerObjects } from '../../support/broker-connection.js';

export const BROKER_URL = process.env.KINDLING_TEST_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';

/** Why broker tests are skipped, or false when the broker answers on its port. */
export async function skipReason(): Promise<string | false> {
  const h = parseTransportUrl(BROKER_URL).hosts[0]!;
  const up = await new Promise<boolean>((resolve) => {
    const s = connect({ host: h.hostname, port: h.port });
    s.setTimeout(2000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
  return up ? false : `no RabbitMQ at ${h.hostname}:${h.port} (set KINDLING_TEST_RABBIT_URL)`;
}

/** A fresh name, safe to use as a topic or exchange. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const ctx: RequestContext = {
  userId: 'u',
  projectId: 'p',
  isAdmin: true,
  roles: ['admin'],
  requestId: 'req-test',
};

/** Transports of one test, with everything they declared cleaned up by `dispose()`. */
export class BrokerFixture {
  readonly exchange = uniqueName('kt-x');
  readonly #transports: AmqpTransport[] = [];
  readonly #queues = new Set<string>();

  transport(opts: Partial<AmqpTransportOptions> = {}): AmqpTransport {
    const t = new AmqpTransport({ url: BROKER_URL, controlExchange: this.exchange, ...opts });
    this.#transports.push(t);
    return t;
  }

  /** Durable queues to delete at the end (`topic`, `topic.server`, …). */
  queues(...names: string[]): void {
    for (const n of names) this.#queues.add(n);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.#transports.map((t) => t.close()));
    const conn = brokerConnection(BROKER_URL);
    try {
      await deleteBrokerObjects(conn, this.#queues, this.exchange);
    } finally {
      await conn.close();
    }
  }
}

/** Resolves when `check()` is true, polling; rejects after `ms`. */
export async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
