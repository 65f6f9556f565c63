import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DynamicLogListener, Engine, LinearFlow, MissingInputError, Task } from '../../src/flow/index.js';
import type { FlowListener, FlowLogger, RevertOutcome, TaskInputs } from '../../src/flow/index.js';

/** A task that records execute/revert calls into a shared journal. */
class Step extends Task {
  constructor(
    name: string,
    private readonly journal: string[],
    private readonly opts: { fail?: Error; revertFails?: Error; result?: unknown } = {},
  ) {
    super({ name });
  }
  async execute(): Promise<unknown> {
    this.journal.push(`execute:${this.name}`);
    if (this.opts.fail !== undefined) throw this.opts.fail;
    return this.opts.result ?? this.name;
  }
  override async revert(_inputs: TaskInputs, outcome: RevertOutcome): Promise<void> {
    this.journal.push(`revert:${this.name}`);
    if (this.opts.revertFails !== undefined) throw this.opts.revertFails;
    void outcome;
  }
}

/** Typed task: `sum = a + b`. */
class AddTask extends Task<{ a: number; b: number }, number> {
  constructor(spec: { name?: string; rebind?: { a?: string; b?: string }; provides?: string[] } = {}) {
    super({ requires: ['a', 'b'], provides: ['sum'], ...spec });
  }
  async execute({ a, b }: { a: number; b: number }): Promise<number> {
    return a + b;
  }
}

/** Records the inputs and outcome every revert receives. */
class Probe extends Task<{ x?: number }, { left: number; right: number }> {
  seen: { inputs: TaskInputs; outcome: RevertOutcome }[] = [];
  constructor(
    name: string,
    private readonly fail?: Error,
  ) {
    super({ name, optional: ['x'], provides: ['left', 'right'] });
  }
  async execute(): Promise<{ left: number; right: number }> {
    if (this.fail) throw this.fail;
    return { left: 1, right: 2 };
  }
  override async revert(inputs: { x?: number }, outcome: RevertOutcome<{ left: number; right: number }>) {
    this.seen.push({ inputs, outcome });
  }
}

class Recorder implements FlowListener {
  events: string[] = [];
  onTaskStart(f: string, t: string) {
    this.events.push(`start ${f}/${t}`);
  }
  onTaskSuccess(f: string, t: string, result: unknown, ms: number) {
    assert.ok(ms >= 0);
    this.events.push(`success ${f}/${t}=${String(result)}`);
  }
  onTaskFailure(f: string, t: string, error: unknown, ms: number) {
    assert.ok(ms >= 0);
    this.events.push(`failure ${f}/${t}:${(error as Error).message}`);
  }
  onTaskRevert(f: string, t: string) {
    this.events.push(`revert ${f}/${t}`);
  }
  onRevertFailure(f: string, t: string, error: unknown) {
    this.events.push(`revert-failure ${f}/${t}:${(error as Error).message}`);
  }
  onFlowEnd(f: string, outcome: string) {
    this.events.push(`end ${f} ${outcome}`);
  }
}

describe('values flow through the store', () => {
  test('requires, provides and rebind', async () => {
    const flow = new LinearFlow(
      'math',
      new AddTask({ name: 'first' }),
      new AddTask({ name: 'second', rebind: { a: 'sum', b: 'c' }, provides: ['total'] }),
    );
    const engine = new Engine(flow, { a: 1, b: 2, c: 10 });
    await engine.run();
    assert.equal(engine.fetch<number>('sum'), 3);
    assert.equal(engine.fetch<number>('total'), 13);
    assert.equal(engine.storage.get('a'), 1);
  });

  test('several provides are read from the returned object; optional inputs only when present', async () => {
    const probe = new Probe('probe');
    const engine = new Engine(probe, {});
    await engine.run();
    assert.equal(engine.fetch('left'), 1);
    assert.equal(engine.fetch('right'), 2);
    assert.throws(() => engine.fetch('nothing'), MissingInputError);
  });

  test('a task returning fewer keys than it provides fails and is reverted', async () => {
    class Half extends Task {
      reverted = false;
      constructor() {
        super({ provides: ['a', 'b'] });
      }
      async execute() {
        return { a: 1 };
      }
      override async revert() {
        this.reverted = true;
      }
    }
    const half = new Half();
    const engine = new Engine(half, {});
    await assert.rejects(engine.run(), /did not return b/);
    assert.equal(half.reverted, true);
    assert.equal(half.name, 'Half');
    assert.equal(engine.storage.has('a'), false);
  });

  test('nested flows run in order', async () => {
    const journal: string[] = [];
    const flow = new LinearFlow(
      'outer',
      new Step('a', journal),
      new LinearFlow('inner', new Step('b', journal), new LinearFlow('deep', new Step('c', journal))),
    ).add(new Step('d', journal));
    await new Engine(flow, {}).run();
    assert.deepEqual(journal, ['execute:a', 'execute:b', 'execute:c', 'execute:d']);
  });
});

describe('revert', () => {
  test('reverts newest first, failing task included, with the original error rethrown', async () => {
    const journal: string[] = [];
    const boom = new Error('boom');
    const flow = new LinearFlow(
      'f',
      new Step('a', journal),
      new LinearFlow('n', new Step('b', journal)),
      new Step('c', journal, { fail: boom }),
      new Step('d', journal),
    );
    await assert.rejects(new Engine(flow, {}).run(), (err: unknown) => err === boom);
    assert.deepEqual(journal, ['execute:a', 'execute:b', 'execute:c', 'revert:c', 'revert:b', 'revert:a']);
  });

  test('the failing task gets the failure, earlier ones their own result and the same inputs', async () => {
    const boom = new Error('boom');
    const ok = new Probe('ok');
    const bad = new Probe('bad', boom);
    await assert.rejects(new Engine(new LinearFlow('f', ok, bad), { x: 5 }).run(), boom);
    assert.equal(ok.seen.length, 1);
    assert.deepEqual(ok.seen[0]?.inputs, { x: 5 });
    assert.deepEqual(ok.seen[0]?.outcome.result, { left: 1, right: 2 });
    assert.equal(ok.seen[0]?.outcome.failure, undefined);
    assert.deepEqual(ok.seen[0]?.outcome.flowFailures, [{ taskName: 'bad', error: boom }]);
    assert.equal(bad.seen.length, 1);
    assert.deepEqual(bad.seen[0]?.outcome.failure, { taskName: 'bad', error: boom });
    assert.equal('result' in (bad.seen[0]?.outcome ?? {}), false);
  });

  test('a revert that throws is reported and logged; the others still run', async () => {
    const journal: string[] = [];
    const boom = new Error('boom');
    const logged: string[] = [];
    const logger: FlowLogger = {
      debug: () => undefined,
      warn: () => undefined,
      error: (obj, msg) => logged.push(`${(obj as { task: string }).task}: ${msg}`),
    };
    const recorder = new Recorder();
    const flow = new LinearFlow(
      'f',
      new Step('a', journal),
      new Step('b', journal, { revertFails: new Error('stuck') }),
      new Step('c', journal, { fail: boom }),
    );
    await assert.rejects(new Engine(flow, {}, [recorder], { logger }).run(), (e: unknown) => e === boom);
    assert.deepEqual(journal, ['execute:a', 'execute:b', 'execute:c', 'revert:c', 'revert:b', 'revert:a']);
    assert.ok(recorder.events.includes('revert-failure f/b:stuck'));
    assert.deepEqual(logged, ["b: Task 'b' failed to revert"]);
  });

  test('property: failing at k of n reverts exactly k..0', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 }))),
        async ([n, k]) => {
          const journal: string[] = [];
          const flow = new LinearFlow('p');
          for (let i = 0; i < n; i++) {
            flow.add(new Step(`t${i}`, journal, i === k ? { fail: new Error(`fail ${i}`) } : {}));
          }
          await assert.rejects(new Engine(flow, {}).run(), { message: `fail ${k}` });
          const reverted = journal.filter((e) => e.startsWith('revert:')).map((e) => e.slice(7));
          const expected = Array.from({ length: k + 1 }, (_, i) => `t${k - i}`);
          assert.deepEqual(reverted, expected);
          assert.equal(journal.filter((e) => e.startsWith('execute:')).length, k + 1);
        },
      ),
    );
  });
});

describe('listeners', () => {
  test('see every transition of a successful flow', async () => {
    const r = new Recorder();
    await new Engine(new LinearFlow('vol:create', new AddTask()), { a: 1, b: 1 }, [r]).run();
    assert.deepEqual(r.events, [
      'start vol:create/AddTask',
      'success vol:create/AddTask=2',
      'end vol:create success',
    ]);
  });

  test('see every transition of a reverted flow', async () => {
    const r = new Recorder();
    const journal: string[] = [];
    const flow = new LinearFlow(
      'f',
      new Step('a', journal),
      new Step('b', journal, { fail: new Error('x') }),
    );
    await assert.rejects(new Engine(flow, {}, [r]).run());
    assert.deepEqual(r.events, [
      'start f/a',
      'success f/a=a',
      'start f/b',
      'failure f/b:x',
      'revert f/b',
      'revert f/a',
      'end f reverted',
    ]);
  });

  test('a listener that throws does not change the outcome', async () => {
    const bad: FlowListener = {
      onTaskStart() {
        throw new Error('listener bug');
      },
      async onFlowEnd() {
        throw new Error('async listener bug');
      },
    };
    const r = new Recorder();
    const engine = new Engine(new AddTask(), { a: 2, b: 3 }, [bad, r]);
    await engine.run();
    assert.equal(engine.fetch('sum'), 5);
    assert.equal(r.events.at(-1), 'end AddTask success');
  });

  test('DynamicLogListener logs progress at debug, failures at warn, failed reverts at error', async () => {
    const lines: string[] = [];
    const logger: FlowLogger = {
      debug: (_o, m) => lines.push(`debug ${m}`),
      warn: (_o, m) => lines.push(`warn ${m}`),
      error: (_o, m) => lines.push(`error ${m}`),
    };
    const journal: string[] = [];
    const flow = new LinearFlow(
      'f',
      new Step('a', journal, { revertFails: new Error('r') }),
      new Step('b', journal, { fail: new Error('x') }),
    );
    await assert.rejects(new Engine(flow, {}, [new DynamicLogListener(logger)]).run());
    assert.deepEqual(lines, [
      "debug Task 'a' started",
      "debug Task 'a' succeeded",
      "debug Task 'b' started",
      "warn Task 'b' failed; reverting flow 'f'",
      "debug Task 'b' reverting",
      "debug Task 'a' reverting",
      "error Task 'a' failed to revert",
      "warn Flow 'f' reverted",
    ]);
  });
});

describe('checks before running', () => {
  test('a missing required input fails before any task runs', async () => {
    const journal: string[] = [];
    const flow = new LinearFlow('f', new Step('a', journal), new AddTask({ rebind: { b: 'bee' } }));
    await assert.rejects(new Engine(flow, { a: 1, b: 2 }).run(), (err: unknown) => {
      assert.ok(err instanceof MissingInputError);
      assert.equal(err.message, "Flow 'f' is missing required inputs: 'bee' as 'b' (AddTask)");
      return true;
    });
    assert.deepEqual(journal, []);
  });

  test('an input provided by an earlier task is not missing', async () => {
    const flow = new LinearFlow(
      'f',
      new AddTask(),
      new AddTask({ name: 'again', rebind: { a: 'sum' }, provides: ['sum2'] }),
    );
    const engine = new Engine(flow, { a: 1, b: 2 });
    await engine.run();
    assert.equal(engine.fetch('sum2'), 5);
  });

  test('duplicate task names and a second run are rejected', async () => {
    await assert.rejects(
      new Engine(new LinearFlow('f', new AddTask(), new AddTask()), { a: 1, b: 1 }).run(),
      /two tasks named 'AddTask'/,
    );
    const engine = new Engine(new AddTask(), { a: 1, b: 1 });
    await engine.run();
    await assert.rejects(engine.run(), /already been run/);
  });
});
