/**
 * Flow listeners: observers of every transition of a running flow, for logs, notifications,
 * metrics and per-volume traces (taskflow's listeners; Cinder's `DynamicLogListener`).
 */

/** Hooks called by the engine. All are optional; one that throws is ignored. */
export interface FlowListener {
  onTaskStart?(flowName: string, taskName: string): void | Promise<void>;
  onTaskSuccess?(flowName: string, taskName: string, result: unknown, ms: number): void | Promise<void>;
  onTaskFailure?(flowName: string, taskName: string, error: unknown, ms: number): void | Promise<void>;
  /** Called for each task being reverted (newest first), before its `revert` runs. */
  onTaskRevert?(flowName: string, taskName: string): void | Promise<void>;
  onRevertFailure?(flowName: string, taskName: string, error: unknown): void | Promise<void>;
  onFlowEnd?(flowName: string, outcome: 'success' | 'reverted', ms: number): void | Promise<void>;
}

const processListeners: FlowListener[] = [];

/**
 * Adds a listener every flow of this process started afterwards notifies, after the listeners
 * its code gives it: for observers from outside the code (a tracer, or a test's fault injector
 * loaded with `node --import`). None by default. Returns a function that removes it.
 */
export function addProcessFlowListener(listener: FlowListener): () => void {
  processListeners.push(listener);
  return () => {
    const i = processListeners.indexOf(listener);
    if (i >= 0) processListeners.splice(i, 1);
  };
}

/** The listeners {@link addProcessFlowListener} added, in order. */
export function processFlowListeners(): readonly FlowListener[] {
  return [...processListeners];
}

/** The logger calls a listener needs; a pino logger fits. */
export interface FlowLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Logs every transition: progress at debug level, task failures and reverted flows as warnings,
 * failed reverts as errors (they may leave something behind that needs cleaning up).
 */
export class DynamicLogListener implements FlowListener {
  constructor(private readonly logger: FlowLogger) {}

  onTaskStart(flow: string, task: string): void {
    this.logger.debug({ flow, task }, `Task '${task}' started`);
  }

  onTaskSuccess(flow: string, task: string, _result: unknown, ms: number): void {
    this.logger.debug({ flow, task, ms }, `Task '${task}' succeeded`);
  }

  onTaskFailure(flow: string, task: string, err: unknown, ms: number): void {
    this.logger.warn({ flow, task, ms, err }, `Task '${task}' failed; reverting flow '${flow}'`);
  }

  onTaskRevert(flow: string, task: string): void {
    this.logger.debug({ flow, task }, `Task '${task}' reverting`);
  }

  onRevertFailure(flow: string, task: string, err: unknown): void {
    this.logger.error({ flow, task, err }, `Task '${task}' failed to revert`);
  }

  onFlowEnd(flow: string, outcome: 'success' | 'reverted', ms: number): void {
    if (outcome === 'success') this.logger.debug({ flow, ms }, `Flow '${flow}' succeeded`);
    else this.logger.warn({ flow, ms }, `Flow '${flow}' reverted`);
  }
}
