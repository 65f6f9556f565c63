/**
 * The flow trace: a listener that writes down every task of one flow run — when it started and
 * ended, how it went, its revert — and hands the whole run over once, when the flow ends (one
 * database insert per flow, never one per task: creates/s must not suffer). The create flows of
 * a volume each get one (api, scheduler, manager); the scheduler's flow adds its decision
 * (src/scheduler/decision.ts). Stored by ./store.ts, read through
 * `GET /v3/{project}/volumes/{id}/trace` (docs/operations.md, "Flow traces").
 */
import { performance } from 'node:perf_hooks';
import { formatTimestamp } from '../common/time.js';
import type { FlowListener, FlowLogger } from '../flow/listener.js';

/** A revert of one task: its time and whether it worked. */
export interface RevertTrace {
  started_at: string;
  ended_at: string;
  duration_ms: number;
  outcome: 'reverted' | 'revert_failed';
  error?: string;
}

/** One task of a flow run. */
export interface TaskTrace {
  name: string;
  /** `not_run`: the flow ended (failed) before reaching it. */
  outcome: 'success' | 'failure' | 'not_run';
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  /** The failure, `<ErrorName>: <message>`. */
  error?: string;
  revert?: RevertTrace;
}

/** One flow run, as stored. */
export interface FlowTrace {
  flow: string;
  volume_id: string;
  project_id: string | null;
  request_id: string | null;
  /** The service host that ran it (`[DEFAULT] host`, or `host@backend` for a volume service). */
  host: string | null;
  /** `success`, or `reverted` when a task failed and the flow was rolled back. */
  outcome: 'success' | 'reverted';
  started_at: string;
  finished_at: string;
  duration_ms: number;
  tasks: TaskTrace[];
  /** The scheduler's decision (the scheduler's flow only). */
  decision: unknown;
}

/** Where finished traces go; a failure is logged, never seen by the flow. */
export type FlowTraceSink = (trace: FlowTrace) => Promise<void>;

export interface TraceListenerOptions {
  /** Every task of the flow in order (`flow.tasks().map(t => t.name)`): those not reached show as `not_run`. */
  taskNames: readonly string[];
  /** The volume, or how to find it once known (the api flow makes the row mid-flow); null: nothing is stored. */
  volumeId: string | (() => string | null | undefined);
  projectId?: string | (() => string | null | undefined) | null;
  requestId?: string | null;
  host?: string | null;
  sink: FlowTraceSink;
  logger?: Pick<FlowLogger, 'warn'>;
}

const MAX_ERROR = 500;

function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 3)}...` : text;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
/** Now, as the API shows times (UTC, `2024-05-01T10:00:00.123000`). */
const stamp = (d: Date = new Date()) => formatTimestamp(d);

/** Collects one flow run; give each Engine its own. */
export class TraceListener implements FlowListener {
  readonly #opts: TraceListenerOptions;
  readonly #tasks = new Map<string, TaskTrace>();
  #decision: unknown = null;
  #startedAt: string | null = null;
  /** The revert running now (reverts run one after another): ended by the next event. */
  #openRevert: { trace: RevertTrace; t0: number } | null = null;
  #taskT0 = 0;
  /** Wall clock at the running task's start: its end is that plus the engine's duration. */
  #taskWall = 0;
  /** Settles once the trace has been handed to the sink (or dropped); for tests and shutdown. */
  written: Promise<void> = Promise.resolve();

  constructor(opts: TraceListenerOptions) {
    this.#opts = opts;
    for (const name of opts.taskNames)
      this.#tasks.set(name, {
        name,
        outcome: 'not_run',
        started_at: null,
        ended_at: null,
        duration_ms: null,
      });
  }

  /** Attach the scheduler's decision (the last one given wins). */
  setDecision(decision: unknown): void {
    this.#decision = decision;
  }

  #task(name: string): TaskTrace {
    let t = this.#tasks.get(name);
    if (!t) {
      t = { name, outcome: 'not_run', started_at: null, ended_at: null, duration_ms: null };
      this.#tasks.set(name, t);
    }
    return t;
  }

  #closeRevert(): void {
    const open = this.#openRevert;
    if (!open) return;
    open.trace.ended_at = stamp();
    open.trace.duration_ms = round(performance.now() - open.t0);
    this.#openRevert = null;
  }

  onTaskStart(_flow: string, task: string): void {
    this.#taskWall = Date.now();
    const now = stamp(new Date(this.#taskWall));
    this.#startedAt ??= now;
    const t = this.#task(task);
    t.started_at = now;
    this.#taskT0 = performance.now();
  }

  #endOf(ms: number): string {
    return stamp(new Date(this.#taskWall + ms));
  }

  onTaskSuccess(_flow: string, task: string, _result: unknown, ms: number): void {
    const t = this.#task(task);
    t.outcome = 'success';
    t.ended_at = this.#endOf(ms);
    t.duration_ms = round(ms);
  }

  onTaskFailure(_flow: string, task: string, error: unknown, ms: number): void {
    const t = this.#task(task);
    t.outcome = 'failure';
    const took = ms || performance.now() - this.#taskT0;
    t.ended_at = this.#endOf(took);
    t.duration_ms = round(took);
    t.error = describe(error);
  }

  onTaskRevert(_flow: string, task: string): void {
    this.#closeRevert();
    const trace: RevertTrace = {
      started_at: stamp(),
      ended_at: '',
      duration_ms: 0,
      outcome: 'reverted',
    };
    this.#task(task).revert = trace;
    this.#openRevert = { trace, t0: performance.now() };
  }

  onRevertFailure(_flow: string, task: string, error: unknown): void {
    const revert = this.#task(task).revert;
    if (!revert) return;
    revert.outcome = 'revert_failed';
    revert.error = describe(error);
    this.#closeRevert();
  }

  onFlowEnd(flow: string, outcome: 'success' | 'reverted', ms: number): void {
    this.#closeRevert();
    const o = this.#opts;
    const volumeId = typeof o.volumeId === 'function' ? o.volumeId() : o.volumeId;
    if (!volumeId) return;
    const projectId = typeof o.projectId === 'function' ? o.projectId() : o.projectId;
    const finished = new Date();
    const trace: FlowTrace = {
      flow,
      volume_id: volumeId,
      project_id: projectId ?? null,
      request_id: o.requestId ?? null,
      host: o.host ?? null,
      outcome,
      started_at: this.#startedAt ?? stamp(new Date(finished.getTime() - ms)),
      finished_at: stamp(finished),
      duration_ms: round(ms),
      tasks: [...this.#tasks.values()],
      decision: this.#decision,
    };
    // NOTE: not awaited: the flow's caller (an API request, an RPC message) does not wait for the
    // trace; `written` tells when it is stored.
    this.written = o.sink(trace).catch((err: unknown) => {
      o.logger?.warn({ flow, volume_id: volumeId, err }, 'Could not store the flow trace');
    });
  }
}
