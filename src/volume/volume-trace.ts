/**
 * A volume's flow traces as `GET /volumes/{id}/trace` (Kindling's own extension) shows them: the
 * runs of its create flows the flow-trace store kept (src/flow-trace/).
 */
import { authorize } from '../auth/policy.js';
import type { RequestContext } from '../common/context.js';
import { VolumeNotFound } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import { flowTracesForVolume, type StoredFlowTrace } from '../db/api/flow-traces.js';
import { volumeGet } from '../db/api/volumes.js';

/**
 * The traces of a volume the caller may see, oldest first. A volume the caller cannot see is
 * `VolumeNotFound`, as for `GET /volumes/{id}`; an admin also gets the traces of a deleted volume
 * (until they expire). Policy `volume:get_trace`, on the volume's project.
 */
export async function getVolumeTraces(db: Db, ctx: RequestContext, id: string): Promise<StoredFlowTrace[]> {
  const volume = await volumeGet(db, id, ctx.isAdmin ? null : ctx.projectId);
  const traces = volume || ctx.isAdmin ? await flowTracesForVolume(db, id) : [];
  if (!volume && traces.length === 0) throw new VolumeNotFound(id);
  authorize(ctx, 'volume:get_trace', volume?.project_id ?? traces[0]?.project_id ?? ctx.projectId);
  return traces;
}
