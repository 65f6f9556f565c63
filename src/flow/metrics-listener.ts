/**
 * The metrics listener: every task's duration and outcome, reverts and whole flows, into the
 * process's Prometheus registry (src/metrics/registry.ts). The engine notifies it for every flow
 * it runs, before the flow's own listeners, so the api, scheduler and manager create-volume flows
 * (and any other) are measured without each caller adding it.
 */
import {
  flowDuration,
  flowTaskDuration,
  flowTaskRevertFailures,
  flowTaskReverts,
} from '../metrics/registry.js';
import type { FlowListener } from './listener.js';

export class MetricsListener implements FlowListener {
  onTaskSuccess(flow: string, task: string, _result: unknown, ms: number): void {
    flowTaskDuration.observe({ flow, task, outcome: 'success' }, ms / 1000);
  }

  onTaskFailure(flow: string, task: string, _error: unknown, ms: number): void {
    flowTaskDuration.observe({ flow, task, outcome: 'failure' }, ms / 1000);
  }

  onTaskRevert(flow: string, task: string): void {
    flowTaskReverts.inc({ flow, task });
  }

  onRevertFailure(flow: string, task: string): void {
    flowTaskRevertFailures.inc({ flow, task });
  }

  onFlowEnd(flow: string, outcome: 'success' | 'reverted', ms: number): void {
    flowDuration.observe({ flow, outcome }, ms / 1000);
  }
}

/** The one instance the engine notifies. */
export const flowMetrics = new MetricsListener();
