/**
 * The trace listener over a real engine run: every task with its outcome and times, tasks never
 * reached as `not_run`, reverts newest first with a failed revert's error, one hand-over to the
 * sink at the flow's end (not one per task), and nothing stored for a flow without a volume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, LinearFlow, Task } from '../../src/flow/index.js';
import { TraceListener, type FlowTrace } from '../../src/flow-trace/listener.js';

class Step extends Task {
  constructor(
    name: string,
    private readonly opts: { fail?: Error; revertFails?: Error } = {},
  ) {
    super({ name });
  }
  async execute(): Promise<unknown> {
    await new Promise((r) => setTimeout(r, 2));
    if (this.opts.fail) throw this.opts.fail;
    return this.name;
  }
  override async revert(): Promise<void> {
    if (this.opts.revertFails) throw this.opts.revertFails;
  }
}

function listener(flow: LinearFlow, volumeId: string | null = 'vol-1') {
  const stored: FlowTrace[] = [];
  const trace = new TraceListener({
    taskNames: flow.tasks().map((t) => t.name),
    volumeId: () => volumeId,
    projectId: 'p1',
    requestId: 'req-1',
    host: 'h1',
    sink: async (t) => {
      stored.push(structuredClone(t));
    },
  });
  return { trace, stored };
}

test('a successful flow: every task once, in order, one trace at the end', async () => {
  const flow = new LinearFlow('f', new Step('a'), new Step('b'));
  const { trace, stored } = listener(flow);
  trace.setDecision({ chosen: 'h@b#p' });
  await new Engine(flow, {}, [trace]).run();
  await trace.written;
  assert.equal(stored.length, 1);
  const t = stored[0]!;
  assert.equal(t.flow, 'f');
  assert.equal(t.outcome, 'success');
  assert.deepEqual([t.volume_id, t.project_id, t.request_id, t.host], ['vol-1', 'p1', 'req-1', 'h1']);
  assert.deepEqual(t.decision, { chosen: 'h@b#p' });
  assert.deepEqual(
    t.tasks.map((x) => [x.name, x.outcome]),
    [
      ['a', 'success'],
      ['b', 'success'],
    ],
  );
  for (const x of t.tasks) {
    assert.ok(x.duration_ms! >= 1, JSON.stringify(x));
    assert.ok(x.started_at! <= x.ended_at!);
  }
  assert.ok(t.started_at <= t.tasks[0]!.started_at! && t.finished_at >= t.tasks[1]!.ended_at!);
});

test('a failing flow: the failure, tasks not reached, reverts newest first, a failed revert', async () => {
  const flow = new LinearFlow(
    'f',
    new Step('a', { revertFails: new Error('cannot undo a') }),
    new Step('b'),
    new Step('c', { fail: new TypeError('c broke') }),
    new Step('d'),
  );
  const { trace, stored } = listener(flow);
  await assert.rejects(new Engine(flow, {}, [trace]).run(), TypeError);
  await trace.written;
  const t = stored[0]!;
  assert.equal(t.outcome, 'reverted');
  const [a, b, c, d] = t.tasks;
  assert.equal(c!.outcome, 'failure');
  assert.equal(c!.error, 'TypeError: c broke');
  assert.equal(d!.outcome, 'not_run');
  assert.equal(d!.started_at, null);
  assert.equal(d!.revert, undefined);
  assert.equal(b!.revert!.outcome, 'reverted');
  assert.equal(c!.revert!.outcome, 'reverted');
  assert.deepEqual([a!.revert!.outcome, a!.revert!.error], ['revert_failed', 'Error: cannot undo a']);
  assert.ok(c!.revert!.started_at <= b!.revert!.started_at && b!.revert!.started_at <= a!.revert!.started_at);
  for (const x of [a, b, c]) assert.ok(x!.revert!.ended_at >= x!.revert!.started_at);
});

test('no volume (the api flow failed before its row): nothing is stored', async () => {
  const flow = new LinearFlow('f', new Step('a', { fail: new Error('no') }));
  const { trace, stored } = listener(flow, null);
  await assert.rejects(new Engine(flow, {}, [trace]).run());
  await trace.written;
  assert.equal(stored.length, 0);
});

test('a sink that fails is logged, never seen by the flow', async () => {
  const flow = new LinearFlow('f', new Step('a'));
  const warned: unknown[] = [];
  const trace = new TraceListener({
    taskNames: ['a'],
    volumeId: 'v',
    sink: () => Promise.reject(new Error('db down')),
    logger: { warn: (obj) => warned.push(obj) },
  });
  await new Engine(flow, {}, [trace]).run();
  await trace.written;
  assert.equal(warned.length, 1);
});
