/**
 * A task: one step of a flow, the unit that runs forwards (`execute`) and backwards (`revert`),
 * after taskflow's `Task` as Cinder uses it (`ExtractVolumeRequestTask`, `QuotaReserveTask`, …).
 */

/** One failure seen while running a flow. */
export interface FlowFailure {
  /** Name of the task that threw. */
  readonly taskName: string;
  /** What it threw (re-thrown unchanged by the engine). */
  readonly error: unknown;
}

/**
 * What a task's `revert` is told about its run: `result` when the task itself succeeded (and a
 * later one failed), `failure` when it is the task that failed, plus every failure of the flow.
 */
export interface RevertOutcome<O = unknown> {
  readonly result?: O;
  readonly failure?: FlowFailure;
  readonly flowFailures: readonly FlowFailure[];
}

/** Input map of a task: argument name → value. */
export type TaskInputs = Record<string, unknown>;

/** How a task declares its name and the values it reads and writes. */
export interface TaskSpec<I extends TaskInputs = TaskInputs> {
  /** Unique within a flow; defaults to the class name (`QuotaReserveTask`). */
  readonly name?: string;
  /** Argument names that must be present when the task runs. */
  readonly requires?: readonly (keyof I & string)[];
  /** Argument names passed only when present (absent ones are simply left out). */
  readonly optional?: readonly (keyof I & string)[];
  /**
   * Store keys the result is saved under. One name: the whole return value. Several names: the
   * return value must be an object holding each of them.
   */
  readonly provides?: readonly string[];
  /** Argument name → store key to read it from, when they differ. */
  readonly rebind?: Readonly<Partial<Record<keyof I & string, string>>>;
}

/**
 * Base class of every task. Subclasses pass a {@link TaskSpec} to `super()` and implement
 * `execute`, and `revert` when the step has something to undo.
 *
 * @example
 * class QuotaReserveTask extends Task<{ size: number; project_id: string }, string[]> {
 *   constructor(private readonly quotas: Quotas) {
 *     super({ requires: ['size', 'project_id'], provides: ['reservations'] });
 *   }
 *   async execute({ size, project_id }: { size: number; project_id: string }) {
 *     return this.quotas.reserve(project_id, { volumes: 1, gigabytes: size });
 *   }
 *   override async revert(_inputs: { size: number; project_id: string }, { result }: RevertOutcome<string[]>) {
 *     if (result) await this.quotas.rollback(result);
 *   }
 * }
 */
export abstract class Task<I extends TaskInputs = TaskInputs, O = unknown> {
  /** Unique name within the flow, used by listeners and logs. */
  readonly name: string;
  /** Arguments that must be present in the store (after rebinding) when the task runs. */
  readonly requires: readonly (keyof I & string)[];
  /** Arguments that are passed when present and left out otherwise. */
  readonly optional: readonly (keyof I & string)[];
  /** Store keys this task's result is saved under. */
  readonly provides: readonly string[];
  /** Argument name → store key. */
  readonly rebind: Readonly<Partial<Record<keyof I & string, string>>>;

  constructor(spec: TaskSpec<I> = {}) {
    this.name = spec.name ?? new.target.name;
    this.requires = Object.freeze([...(spec.requires ?? [])]);
    this.optional = Object.freeze([...(spec.optional ?? [])]);
    this.provides = Object.freeze([...(spec.provides ?? [])]);
    this.rebind = Object.freeze({ ...spec.rebind }) as TaskSpec<I>['rebind'] & object;
  }

  /** Do the step. The resolved promise value becomes the task's result. */
  abstract execute(inputs: I): Promise<O>;

  /**
   * Undo the step after a failure in this or a later task. Receives the same inputs as `execute`.
   * Optional: tasks without side effects need none.
   */
  revert?(inputs: I, outcome: RevertOutcome<O>): Promise<void>;

  /** The store key an argument is read from. */
  storeKeyOf(arg: keyof I & string): string {
    return this.rebind[arg] ?? arg;
  }
}

/** A task of any input/output types, as flows and the engine hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTask = Task<any, any>;
