import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminContext, type RequestContext } from '../../../src/common/context.js';
import { InprocTransport } from '../../../src/rpc/inproc/inproc-transport.js';

const ctx = () => adminContext();

test('stopping a listener waits for the message it is handling, and drops what comes after', async () => {
  const bus = new InprocTransport();
  const handled: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const started = new Promise<void>((r) => (entered = r));
  const listener = await bus.listen(
    { topic: 't' },
    {
      slow: async (_c: RequestContext, a: Record<string, unknown>) => {
        entered();
        await held;
        handled.push(a.n as string);
      },
    },
  );
  await bus.cast({ topic: 't' }, 'slow', { n: 'first' }, ctx());
  await started;
  let stopped = false;
  const stopping = listener.stop().then(() => (stopped = true));
  await bus.cast({ topic: 't' }, 'slow', { n: 'after stop' }, ctx());
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stopped, false, 'stop waits while a message is being handled');
  release();
  await stopping;
  assert.deepEqual(handled, ['first']);
});

test('a stuck handler holds a stop no longer than the drain time', async () => {
  const bus = new InprocTransport(() => {}, 0.05);
  let entered!: () => void;
  const started = new Promise<void>((r) => (entered = r));
  const listener = await bus.listen(
    { topic: 't' },
    {
      stuck: () => {
        entered();
        return new Promise<never>(() => {});
      },
    },
  );
  await bus.cast({ topic: 't' }, 'stuck', {}, ctx());
  await started;
  // The drain timer does not keep a process alive by itself (unref): this test's loop needs one.
  const keepAlive = setInterval(() => {}, 1000);
  const t0 = Date.now();
  await listener.stop();
  clearInterval(keepAlive);
  assert.ok(Date.now() - t0 < 5000);
});

test('a cast queued before the stop but not yet delivered is not handled', async () => {
  const bus = new InprocTransport();
  const handled: unknown[] = [];
  const listener = await bus.listen({ topic: 't' }, { m: async (_c, a) => void handled.push(a) });
  await bus.cast({ topic: 't' }, 'm', { n: 1 }, ctx());
  await listener.stop();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(handled, []);
});
