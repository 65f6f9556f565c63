/**
 * `GET /resource_filters` (3.33+; Cinder's `api/v3/resource_filters.py`, no policy): the filters
 * the operator's resource filters file allows, per resource; `?resource=<name>` only that one
 * (nothing when the file does not name it). Below 3.33 the route does not exist (404).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { ItemNotFound } from '../../common/errors.js';
import { queryOf, state } from '../request.js';
import { resourceFilters } from '../resource-filters.js';

/** Route group for `/resource_filters`. */
export function resourceFilterRoutes(deps: ApiDeps) {
  const file = resourceFilters(deps.core.config, deps.core.log);
  return async (app: FastifyInstance) => {
    app.get('/resource_filters', async (req) => {
      if (!state(req).version.gte('3.33')) throw new ItemNotFound();
      const filters = file.get(queryOf(req).resource);
      return {
        resource_filters: Object.entries(filters).map(([resource, keys]) => ({
          resource,
          filters: [...keys],
        })),
      };
    });
  };
}
