/** The flow engine: tasks, linear flows, the engine that runs and reverts them, listeners. */
export { Task } from './task.js';
export type { AnyTask, FlowFailure, RevertOutcome, TaskInputs, TaskSpec } from './task.js';
export { LinearFlow } from './linear-flow.js';
export type { FlowItem } from './linear-flow.js';
export { Engine } from './engine.js';
export type { EngineOptions } from './engine.js';
export { DynamicLogListener, addProcessFlowListener } from './listener.js';
export type { FlowListener, FlowLogger } from './listener.js';
export { MetricsListener } from './metrics-listener.js';
export { MissingInputError } from '../common/errors.js';
