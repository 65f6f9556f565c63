/** The view of a volume's flow traces (`GET /volumes/{id}/trace`, Kindling's own). */
import type { StoredFlowTrace } from '../../db/api/flow-traces.js';

/** `{"trace": {"volume_id", "flows": [...]}}`, oldest run first. */
export function volumeTraceView(
  volumeId: string,
  traces: readonly StoredFlowTrace[],
): Record<string, unknown> {
  return {
    trace: {
      volume_id: volumeId,
      flows: traces.map((t) => ({
        id: t.id,
        flow: t.flow,
        host: t.host,
        request_id: t.request_id,
        outcome: t.outcome,
        started_at: t.started_at,
        finished_at: t.finished_at,
        duration_ms: t.duration_ms,
        tasks: t.tasks,
        ...(t.decision === null ? {} : { decision: t.decision }),
        expires_at: t.expires_at,
      })),
    },
  };
}
