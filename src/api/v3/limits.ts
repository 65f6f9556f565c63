/** `GET /limits` (Cinder's `api/v3/limits.py` with the `os-used-limits` extension). */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import { isAllowed } from '../../auth/policy.js';
import { limitsView } from '../views/limits.js';

/** Route group for `/limits`. */
export function limitRoutes(deps: ApiDeps) {
  return async (app: FastifyInstance) => {
    app.get('/limits', async (req) => {
      const { ctx, version } = state(req);
      const query = queryOf(req);
      // NOTE: only admins at 3.39+ may ask for another project (`tenant_id` is the old spelling).
      const mayChoose = ctx.isAdmin && version.gte('3.39');
      const project = (mayChoose ? (query.project_id ?? query.tenant_id) : undefined) ?? ctx.projectId ?? '';
      const quotas = await deps.core.quotas.projectQuotas(project);
      return limitsView(quotas, isAllowed(ctx, 'limits_extension:used_limits'));
    });
  };
}
