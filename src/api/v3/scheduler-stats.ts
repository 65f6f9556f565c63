/**
 * `GET /scheduler-stats/get_pools` (Cinder's `api/contrib/scheduler_stats.py`): the scheduler's
 * pools, filtered by `name` (3.28+) and `volume_type` (3.35+); `detail=true` adds capabilities.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { getVolumeTypeByNameOrId } from '../../volume/volume-types.js';
import { poolsView } from '../views/scheduler-stats.js';
import { getBoolParam } from './query-params.js';
import { rejectInvalidFilters, resourceFilters } from '../resource-filters.js';

/** Route group for `/scheduler-stats`. */
export function schedulerStatsRoutes(deps: ApiDeps) {
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);
  return async (app: FastifyInstance) => {
    app.get('/scheduler-stats/get_pools', async (req) => {
      const { ctx, version } = state(req);
      authorize(ctx, 'scheduler_extension:scheduler_stats:get_pools');
      const query = queryOf(req);
      const detail = getBoolParam('detail', query);
      const filters: Record<string, unknown> = { ...query };
      delete filters.detail;
      if (version.gte('3.31')) {
        // NOTE: pools are checked against the resource filters file's `pool` entry even for admins.
        rejectInvalidFilters(ctx, filters, 'pool', version.gte('3.34'), filtersFile);
        delete filters.all_tenants;
      } else if (!version.gte('3.28')) {
        for (const k of Object.keys(filters)) delete filters[k];
      }
      if (!version.gte('3.35')) delete filters.volume_type;
      if (typeof filters.volume_type === 'string' && filters.volume_type !== '') {
        filters.volume_type = await getVolumeTypeByNameOrId(deps.core.dbh.db, ctx, filters.volume_type);
      } else {
        delete filters.volume_type;
      }
      const pools = await deps.schedulerRpc.getPools(ctx, filters);
      return poolsView(pools, detail);
    });
  };
}
