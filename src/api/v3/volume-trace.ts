/**
 * `GET /v3/{project_id}/volumes/{volume_id}/trace` — Kindling's own extension (no Cinder
 * counterpart; every microversion): the volume's flow traces, each run of its create flows (api,
 * scheduler, manager; a rescheduled create has more) with every task's start, end, outcome and
 * revert, and the scheduler's decision (the filters' removals and reasons, the weights, the chosen
 * pool). Admin only by default (policy `volume:get_trace`); a volume the caller cannot see is a
 * 404 first, as for `GET /volumes/{id}`. An admin also gets the traces of a deleted volume
 * (until they expire: `[DEFAULT] flow_trace_ttl`). See docs/operations.md, "Flow traces".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { getVolumeTraces } from '../../volume/volume-trace.js';
import { volumeTraceView } from '../views/volume-trace.js';

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

export function volumeTraceRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const id = req.params.id;
      return volumeTraceView(id, await getVolumeTraces(db, ctx, id));
    }

    app.get<ById>('/volumes/:id/trace', show);
  };
}
