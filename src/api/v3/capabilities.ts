/**
 * `GET /capabilities/{host}` (Cinder's `api/contrib/capabilities.py`, admin only): what a volume
 * backend can do, asked of its volume service. `host` names the service's host or its cluster
 * (`host@backend`; a client may send the pool too, which URL rules turn into a fragment).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { NotFound } from '../../common/errors.js';
import { findServices, hostMatches } from '../../volume/service-rows.js';
import { getCapabilities } from '../../volume/capabilities.js';

/** Route generics: the URL parameters of a route. */
type ByHost = { Params: { host: string } };

/** Route group for `/capabilities`. */
export function capabilitiesRoutes(deps: ApiDeps) {
  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ByHost>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:capabilities');
      const id = req.params.host;
      // Cinder's `host_or_cluster` service filter.
      const services = (await findServices(deps.core.dbh.db, { binary: 'cinder-volume' })).filter(
        (s) => hostMatches(id, s.host) || (!!s.cluster_name && hostMatches(id, s.cluster_name)),
      );
      const service = services[0];
      if (!service) throw new NotFound(`Can't find service: ${id}`);
      // Cinder's `service_topic_queue`: the cluster's queue when clustered.
      const topic = service.cluster_name || service.host;
      const c = await getCapabilities(deps.core.transport, ctx, topic);
      const protocol: unknown = Array.isArray(c.storage_protocol)
        ? (c.storage_protocol as unknown[])[0]
        : c.storage_protocol;
      return {
        namespace: `OS::Storage::Capabilities::${topic}`,
        vendor_name: c.vendor_name ?? null,
        volume_backend_name: c.volume_backend_name ?? null,
        pool_name: c.pool_name ?? null,
        driver_version: c.driver_version ?? null,
        storage_protocol: protocol ?? null,
        display_name: c.display_name ?? null,
        description: c.description ?? null,
        visibility: c.visibility ?? null,
        replication_targets: c.replication_targets ?? [],
        properties: c.properties ?? null,
      };
    }

    app.get<ByHost>('/capabilities/:host', show);
  };
}
