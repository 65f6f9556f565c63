/**
 * `GET /os-availability-zone` (Cinder's `api/contrib/availability_zones.py`; no policy). Like
 * Cinder's controller, it reads the services afresh instead of the zone cache.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { availabilityZonesView } from '../views/availability-zones.js';

/** Route group for `/os-availability-zone`. */
export function availabilityZoneRoutes(deps: ApiDeps) {
  return async (app: FastifyInstance) => {
    app.get('/os-availability-zone', async () => availabilityZonesView(await deps.volumes.azs.list(true)));
  };
}
