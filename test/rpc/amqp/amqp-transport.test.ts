import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { MessageDeliveryFailure, NoValidBackend } from '../../../src/common/errors.js';
import { AmqpTransport } from '../../../src/rpc/amqp/amqp-transport.js';
import { MessagingTimeout, type Endpoint } from '../../../src/rpc/transport.js';
import { BROKER_URL, BrokerFixture, ctx, skipReason, sleep, uniqueName, until } from './broker.js';

const skip = await skipReason();

/** An endpoint recording every `work` it gets. */
function recorder(): { seen: number[]; endpoint: Endpoint } {
  const seen: number[] = [];
  return { seen, endpoint: { work: async (_c, args) => void seen.push(args.id as number) } };
}

describe('AmqpTransport against RabbitMQ', { skip }, () => {
  test('a cast to a topic is taken by exactly one of its listeners', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-topic');
    f.queues(topic, `${topic}.a`, `${topic}.b`);
    const a = recorder();
    const b = recorder();
    await f.transport().listen({ topic, server: 'a' }, a.endpoint);
    await f.transport().listen({ topic, server: 'b' }, b.endpoint);
    const sender = f.transport();
    for (let i = 0; i < 20; i++) await sender.cast({ topic }, 'work', { id: i }, ctx);
    await until(() => a.seen.length + b.seen.length >= 20, 10_000, 'all casts');
    await sleep(300); // any duplicate would show up now
    assert.deepEqual(
      [...a.seen, ...b.seen].sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.ok(a.seen.length > 0 && b.seen.length > 0, 'both competing consumers took some');
  });

  test('a cast to a server reaches that server only', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-topic');
    f.queues(topic, `${topic}.a`, `${topic}.b`);
    const a = recorder();
    const b = recorder();
    await f.transport().listen({ topic, server: 'a' }, a.endpoint);
    await f.transport().listen({ topic, server: 'b' }, b.endpoint);
    const sender = f.transport();
    for (let i = 0; i < 5; i++) await sender.cast({ topic, server: 'b' }, 'work', { id: i }, ctx);
    await until(() => b.seen.length === 5, 10_000, 'casts to b');
    await sleep(200);
    assert.deepEqual(a.seen, []);
    assert.deepEqual(b.seen, [0, 1, 2, 3, 4]);
  });

  test('a cast before any listener exists waits in its queue', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-topic');
    f.queues(topic, `${topic}.late`);
    await f.transport().cast({ topic, server: 'late' }, 'work', { id: 7 }, ctx);
    const r = recorder();
    await f.transport().listen({ topic, server: 'late' }, r.endpoint);
    await until(() => r.seen.length === 1, 10_000, 'queued cast');
    assert.deepEqual(r.seen, [7]);
  });

  test('fanout reaches every listener once, on its own transport or a shared one', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-topic');
    f.queues(topic, `${topic}.a`, `${topic}.b`, `${topic}.c`);
    const shared = f.transport();
    const rs = [recorder(), recorder(), recorder()];
    await f.transport().listen({ topic, server: 'a' }, rs[0]!.endpoint);
    await shared.listen({ topic, server: 'b', fanout: true }, rs[1]!.endpoint);
    await shared.listen({ topic, server: 'c' }, rs[2]!.endpoint);
    await f.transport().cast({ topic, fanout: true }, 'work', { id: 1 }, ctx);
    await f.transport().cast({ topic, fanout: true }, 'work', { id: 2 }, ctx);
    await until(() => rs.every((r) => r.seen.length >= 2), 10_000, 'fanout');
    await sleep(200);
    for (const r of rs) assert.deepEqual(r.seen, [1, 2]);
  });

  test('call returns the value, re-raises the remote error, and times out', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-topic');
    f.queues(topic, `${topic}.s`);
    await f.transport().listen(
      { topic, server: 's' },
      {
        add: async (c, args) => ({ sum: (args.a as number) + (args.b as number), requestId: c.requestId }),
        fail: async () => {
          throw new NoValidBackend('No weighed backends available');
        },
        slow: async () => sleep(3000),
        bigint: async () => 10n,
      },
    );
    const caller = f.transport();
    assert.deepEqual(await caller.call({ topic }, 'add', { a: 2, b: 3 }, ctx, 10), {
      sum: 5,
      requestId: 'req-test',
    });
    assert.deepEqual(await caller.call({ topic, server: 's' }, 'add', { a: 1, b: 1 }, ctx, 10), {
      sum: 2,
      requestId: 'req-test',
    });
    await assert.rejects(caller.call({ topic }, 'fail', {}, ctx, 10), (e: unknown) => {
      assert.ok(e instanceof NoValidBackend);
      assert.equal(e.name, 'NoValidBackend');
      assert.equal(e.message, 'No valid backend was found. No weighed backends available');
      return true;
    });
    await assert.rejects(caller.call({ topic }, 'nope', {}, ctx, 10), /does not support RPC method nope/);
    await assert.rejects(caller.call({ topic }, 'bigint', {}, ctx, 10), {
      name: 'TypeError',
      message: /BigInt/,
    });
    const started = Date.now();
    await assert.rejects(caller.call({ topic }, 'slow', {}, ctx, 1), MessagingTimeout);
    assert.ok(Date.now() - started < 2500, 'timed out near 1 s');
    // concurrent calls are matched to their own replies
    const sums = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        caller.call<{ sum: number }>({ topic }, 'add', { a: i, b: i }, ctx, 10),
      ),
    );
    assert.deepEqual(
      sums.map((s) => s.sum),
      Array.from({ length: 10 }, (_, i) => 2 * i),
    );
  });

  test('a failing handler is logged and acked, not redelivered', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-topic');
    f.queues(topic, `${topic}.s`);
    let runs = 0;
    const errors: string[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (_o: object, m: string) => void errors.push(m) };
    await f.transport({ log }).listen(
      { topic, server: 's' },
      {
        work: async () => {
          runs++;
          throw new Error('handler broke');
        },
      },
    );
    await f.transport().cast({ topic }, 'work', { id: 1 }, ctx);
    await until(() => runs === 1, 10_000, 'first run');
    await sleep(500);
    assert.equal(runs, 1);
    assert.deepEqual(errors, ['RPC handler failed']);
  });

  test('a message whose consumer dies unacked is redelivered to another', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-topic');
    f.queues(topic, `${topic}.doomed`, `${topic}.heir`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/hang-listener.ts', import.meta.url))],
      {
        env: { ...process.env, URL: BROKER_URL, EXCHANGE: f.exchange, TOPIC: topic },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    t.after(() => child.kill('SIGKILL'));
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
    await until(() => lines.includes('ready'), 20_000, 'child listener');
    await f.transport().cast({ topic }, 'work', { id: 42 }, ctx);
    await until(() => lines.includes('got 42'), 10_000, 'child to take the message');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const heir = recorder();
    await f.transport().listen({ topic, server: 'heir' }, heir.endpoint);
    await until(() => heir.seen.length === 1, 15_000, 'redelivery');
    assert.deepEqual(heir.seen, [42]);
  });

  test('with no broker, a cast fails after the publish timeout instead of vanishing', async () => {
    const t = new AmqpTransport({ url: 'rabbit://guest:guest@127.0.0.1:1/', publishTimeoutSeconds: 1 });
    const started = Date.now();
    await assert.rejects(t.cast({ topic: 'x' }, 'work', {}, ctx), MessageDeliveryFailure);
    assert.ok(Date.now() - started < 3000, 'gave up near the 1 s publish timeout');
    t.connection.unsafeDestroy();
  });
});
