/**
 * `/os-hosts` (Cinder's deprecated `api/contrib/hosts.py`, admin only): the enabled services as
 * hosts, and a volume host's usage per project. Cinder's `PUT /os-hosts/{host}` is not offered:
 * Cinder itself answers it with a 500 (its `set_host_enabled` is not implemented).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { ServiceNotFoundOnHost } from '../../common/errors.js';
import type { ProjectHostUsage } from '../../db/api/host-usage.js';
import { hostUsage } from '../../volume/host-usage.js';
import { findServices, listServices, serviceIsUp } from '../../volume/service-rows.js';

/** Route generics: the URL parameters of a route. */
type ByHost = { Params: { host: string } };

/** Route group for `/os-hosts`. */
export function hostRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:hosts');
      const zone = queryOf(req).zone ?? '';
      const downTime = deps.core.config.DEFAULT.service_down_time;
      const now = Date.now();
      const services = (await listServices(db)).filter(
        (s) => s.disabled === 0 && (!zone || s.availability_zone === zone),
      );
      return {
        hosts: services.map((s) => ({
          host_name: s.host,
          service: s.topic,
          zone: s.availability_zone,
          'service-status': serviceIsUp(s, downTime, now) ? 'available' : 'unavailable',
          'service-state': s.disabled ? 'disabled' : 'enabled',
          // NOTE: Cinder's `updated_at` is its heartbeat; Kindling keeps the heartbeat apart.
          'last-update': s.heartbeat_at ?? s.updated_at,
        })),
      };
    }

    async function show(req: FastifyRequest<ByHost>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:hosts');
      const host = req.params.host;
      const [service] = await findServices(db, { host, binary: 'cinder-volume' });
      if (!service) throw new ServiceNotFoundOnHost('cinder-volume', host);
      const usage = await hostUsage(db, host);
      const row = (project: string, u: ProjectHostUsage) => ({
        resource: {
          host,
          project,
          volume_count: String(u.volumeCount),
          total_volume_gb: String(u.volumeGb),
          snapshot_count: String(u.snapshotCount),
          total_snapshot_gb: String(u.snapshotGb),
        },
      });
      const total: ProjectHostUsage = { volumeCount: 0, volumeGb: 0, snapshotCount: 0, snapshotGb: 0 };
      for (const u of usage.values()) {
        total.volumeCount += u.volumeCount;
        total.volumeGb += u.volumeGb;
        total.snapshotCount += u.snapshotCount;
        total.snapshotGb += u.snapshotGb;
      }
      return { host: [row('(total)', total), ...[...usage].map(([p, u]) => row(p, u))] };
    }

    app.get('/os-hosts', index);
    app.get<ByHost>('/os-hosts/:host', show);
  };
}
