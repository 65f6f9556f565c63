/**
 * The engine: runs a flow against a store of injected values, after taskflow's serial engine.
 * Each task's result joins the store under its `provides` names. When a task fails, every task
 * that ran is reverted, newest first and the failing one included, then the original error is
 * re-thrown unchanged.
 */
import { performance } from 'node:perf_hooks';
import { MissingInputError } from '../common/errors.js';
import { LinearFlow } from './linear-flow.js';
import { processFlowListeners, type FlowListener, type FlowLogger } from './listener.js';
import { flowMetrics } from './metrics-listener.js';
import type { AnyTask, FlowFailure, RevertOutcome, TaskInputs } from './task.js';

/** Extra engine settings. */
export interface EngineOptions {
  /** Where failed reverts are logged (besides `onRevertFailure`); pino fits. */
  readonly logger?: FlowLogger;
}

/** A task that has run (or was running when it failed), kept for the revert pass. */
interface Ran {
  readonly task: AnyTask;
  readonly inputs: TaskInputs;
  readonly outcome: RevertOutcome;
}

/** Runs one flow once. */
export class Engine {
  readonly #flowName: string;
  readonly #tasks: readonly AnyTask[];
  readonly #store: Map<string, unknown>;
  readonly #listeners: readonly FlowListener[];
  readonly #logger: FlowLogger | undefined;
  #started = false;

  /**
   * @param flow a linear flow, or a single task (run as a flow of one named after it)
   * @param store values injected before the run (`context`, `size`, `volume_type`, …)
   * @param listeners notified of every transition, after the process's metrics listener and
   *   before the listeners added with `addProcessFlowListener`
   */
  constructor(
    flow: LinearFlow | AnyTask,
    store: Readonly<Record<string, unknown>> = {},
    listeners: readonly FlowListener[] = [],
    options: EngineOptions = {},
  ) {
    this.#flowName = flow.name;
    this.#tasks = flow instanceof LinearFlow ? flow.tasks() : [flow];
    this.#store = new Map(Object.entries(store));
    // NOTE: the metrics listener sees every flow of the process, first (src/flow/metrics-listener.ts).
    this.#listeners = [flowMetrics, ...listeners, ...processFlowListeners()];
    this.#logger = options.logger;
  }

  /** The store: injected values plus every result saved so far. */
  get storage(): ReadonlyMap<string, unknown> {
    return this.#store;
  }

  /** One value from the store; throws {@link MissingInputError} when absent. */
  fetch<T = unknown>(key: string): T {
    if (!this.#store.has(key)) {
      throw new MissingInputError(`'${key}' is not in the store of flow '${this.#flowName}'`);
    }
    return this.#store.get(key) as T;
  }

  /**
   * Check the flow, then run every task in order.
   * @throws MissingInputError before anything runs, when a required value has no source.
   * @throws the failing task's own error, after the revert pass.
   */
  async run(): Promise<void> {
    if (this.#started) throw new Error(`Flow '${this.#flowName}' has already been run by this engine`);
    this.#started = true;
    this.#validate();
    const flowStart = performance.now();
    const ran: Ran[] = [];
    for (const task of this.#tasks) {
      const inputs = this.#inputsFor(task);
      await this.#emit((l) => l.onTaskStart?.(this.#flowName, task.name));
      const start = performance.now();
      let result: unknown;
      try {
        result = await task.execute(inputs);
        this.#save(task, result);
      } catch (error: unknown) {
        const ms = performance.now() - start;
        await this.#emit((l) => l.onTaskFailure?.(this.#flowName, task.name, error, ms));
        const failure: FlowFailure = { taskName: task.name, error };
        ran.push({ task, inputs, outcome: { failure, flowFailures: [failure] } });
        await this.#revertAll(ran, [failure]);
        await this.#flowEnd('reverted', flowStart);
        throw error;
      }
      ran.push({ task, inputs, outcome: { result, flowFailures: [] } });
      const ms = performance.now() - start;
      await this.#emit((l) => l.onTaskSuccess?.(this.#flowName, task.name, result, ms));
    }
    await this.#flowEnd('success', flowStart);
  }

  async #flowEnd(outcome: 'success' | 'reverted', flowStart: number): Promise<void> {
    const ms = performance.now() - flowStart;
    await this.#emit((l) => l.onFlowEnd?.(this.#flowName, outcome, ms));
  }

  /** Unique task names, and every required value injected or provided by an earlier task. */
  #validate(): void {
    const names = new Set<string>();
    const available = new Set(this.#store.keys());
    const missing: string[] = [];
    for (const task of this.#tasks) {
      if (names.has(task.name)) {
        throw new Error(`Flow '${this.#flowName}' has two tasks named '${task.name}'`);
      }
      names.add(task.name);
      for (const arg of task.requires) {
        const key = task.storeKeyOf(arg);
        if (!available.has(key)) {
          missing.push(key === arg ? `'${arg}' (${task.name})` : `'${key}' as '${arg}' (${task.name})`);
        }
      }
      for (const key of task.provides) available.add(key);
    }
    if (missing.length > 0) {
      throw new MissingInputError(
        `Flow '${this.#flowName}' is missing required inputs: ${missing.join(', ')}`,
      );
    }
  }

  #inputsFor(task: AnyTask): TaskInputs {
    const inputs: TaskInputs = {};
    for (const arg of task.requires) inputs[arg] = this.fetch(task.storeKeyOf(arg));
    for (const arg of task.optional) {
      const key = task.storeKeyOf(arg);
      if (this.#store.has(key)) inputs[arg] = this.#store.get(key);
    }
    return inputs;
  }

  /** Store the result under the task's provides names (validated first, so all or nothing). */
  #save(task: AnyTask, result: unknown): void {
    const [only, ...rest] = task.provides;
    if (only === undefined) return;
    if (rest.length === 0) {
      this.#store.set(only, result);
      return;
    }
    if (typeof result !== 'object' || result === null) {
      throw new TypeError(`Task '${task.name}' must return an object holding ${task.provides.join(', ')}`);
    }
    const absent = task.provides.filter((key) => !(key in result));
    if (absent.length > 0) {
      throw new TypeError(`Task '${task.name}' did not return ${absent.join(', ')}`);
    }
    for (const key of task.provides) this.#store.set(key, (result as Record<string, unknown>)[key]);
  }

  /** Revert newest first; a revert that throws is reported and the others still run. */
  async #revertAll(ran: readonly Ran[], flowFailures: readonly FlowFailure[]): Promise<void> {
    for (const { task, inputs, outcome } of [...ran].reverse()) {
      await this.#emit((l) => l.onTaskRevert?.(this.#flowName, task.name));
      if (!task.revert) continue;
      try {
        await task.revert(inputs, { ...outcome, flowFailures });
      } catch (error: unknown) {
        this.#logger?.error(
          { flow: this.#flowName, task: task.name, err: error },
          `Task '${task.name}' failed to revert`,
        );
        await this.#emit((l) => l.onRevertFailure?.(this.#flowName, task.name, error));
      }
    }
  }

  /** Call one hook on every listener; a listener that throws must not change the flow. */
  async #emit(call: (listener: FlowListener) => void | Promise<void>): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        await call(listener);
      } catch (error: unknown) {
        this.#logger?.warn({ flow: this.#flowName, err: error }, 'Flow listener failed');
      }
    }
  }
}
