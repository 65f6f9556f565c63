/**
 * `GET /metrics` on the API port (when `[metrics] port` is unset): Prometheus' text format, outside
 * `/v3` and its auth. In noauth mode it is open, like every noauth call; in keystone mode it needs
 * a token with the admin role, since the API port is public and the metrics tell about every
 * project's volumes — for Prometheus, which cannot renew Keystone tokens, set `[metrics] port` for
 * an unauthenticated listener on 127.0.0.1 (src/metrics/server.ts), as OpenStack services' metrics
 * endpoints are usually run.
 */
import type { FastifyInstance } from 'fastify';
import { METRICS_CONTENT_TYPE, type MetricsSource } from '../metrics/source.js';
import type { KeystoneHttpAuth } from './auth/keystone-http.js';
import { adminOnly } from './healthcheck.js';

export function registerMetrics(
  app: FastifyInstance,
  source: MetricsSource,
  keystone: KeystoneHttpAuth | null,
): void {
  app.get('/metrics', async (req, reply) => {
    if (!(await adminOnly(keystone, req, reply, 'metrics:get'))) return reply;
    return reply.type(METRICS_CONTENT_TYPE).send(await source.text());
  });
}
