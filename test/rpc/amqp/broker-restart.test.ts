import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BrokerFixture, ctx, skipReason, sleep, uniqueName, until } from './broker.js';

const run = promisify(execFile);

// NOTE: restarting the broker disturbs every other test using it, so this runs only when asked.
const skip =
  process.env.KINDLING_TEST_BROKER_RESTART === '1'
    ? await skipReason()
    : 'restarts the local broker with rabbitmqctl; set KINDLING_TEST_BROKER_RESTART=1 to run';

test(
  'casts sent across a broker restart are all handled (at least once)',
  { skip, timeout: 180_000 },
  async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-restart');
    f.queues(topic, `${topic}.a`, `${topic}.b`);
    const handled = new Map<number, number>();
    const endpoint = {
      work: async (_c: unknown, args: Record<string, unknown>) => {
        const id = args.id as number;
        handled.set(id, (handled.get(id) ?? 0) + 1);
      },
    };
    await f.transport().listen({ topic, server: 'a' }, endpoint);
    await f.transport().listen({ topic, server: 'b' }, endpoint);
    let retries = 0;
    let connects = 0;
    const log = {
      debug() {},
      info: (_o: object, m: string) => void (m === 'AMQP connected' && connects++),
      error() {},
      warn: (_o: object, m: string) => void (m.includes('retrying') && retries++),
    };
    const sender = f.transport({ publishTimeoutSeconds: 90, log });

    let restarted = false;
    const restart = (async () => {
      await sleep(500);
      await run('rabbitmqctl', ['stop_app']);
      await sleep(1000);
      await run('rabbitmqctl', ['start_app']);
      restarted = true;
    })();

    const casts: Promise<void>[] = [];
    const waits: number[] = [];
    let stopAt = Infinity;
    for (let i = 0; Date.now() < stopAt; i++) {
      const started = Date.now();
      casts.push(
        sender.cast({ topic }, 'work', { id: i }, ctx).then(() => void waits.push(Date.now() - started)),
      );
      if (restarted && stopAt === Infinity) stopAt = Date.now() + 1000;
      await sleep(50);
    }
    await restart;
    const results = await Promise.allSettled(casts);
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failed, [], 'every cast was confirmed by the broker');

    await until(() => handled.size === casts.length, 90_000, 'every cast to be handled');
    await sleep(2000);
    const duplicates = [...handled.values()].filter((n) => n > 1).length;
    t.diagnostic(
      `casts: ${casts.length}, longest wait for a confirm: ${Math.max(...waits)} ms, publish retries: ${retries}, ` +
        `sender connections: ${connects}, handled: ${handled.size}, handled more than once: ${duplicates}`,
    );
    assert.ok(connects >= 2, 'the sender reconnected');
    assert.ok(Math.max(...waits) > 500, 'some casts waited out the outage');
    for (let i = 0; i < casts.length; i++) assert.ok((handled.get(i) ?? 0) >= 1, `cast ${i} handled`);
  },
);
