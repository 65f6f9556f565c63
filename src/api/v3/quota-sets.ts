/**
 * `/os-quota-sets/{project_id}[/defaults]` (Cinder's `api/contrib/quotas.py`): show (with
 * `?usage=true`), defaults, update and reset of a project's limits. Per-type keys
 * (`volumes_<type>`, …) come and go with the volume types.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { BadRequest } from '../../common/errors.js';
import { validateUpdateQuotaSet } from '../schemas/index.js';
import { getBoolParam } from './query-params.js';

/** Body keys that are not resources (Cinder's `NON_QUOTA_KEYS`). */
const NON_QUOTA_KEYS = new Set(['tenant_id', 'id']);

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/os-quota-sets`. */
export function quotaSetRoutes(deps: ApiDeps) {
  const quotas = deps.core.quotas;
  const projectOf = (req: FastifyRequest<ById>) => req.params.id;

  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const project = projectOf(req);
      authorize(ctx, 'volume_extension:quotas:show', project);
      const query = queryOf(req);
      const usage = 'usage' in query ? getBoolParam('usage', query) : false;
      const all = await quotas.projectQuotas(project);
      const out: Record<string, unknown> = {};
      for (const [name, q] of Object.entries(all))
        out[name] = usage ? { limit: q.limit, in_use: q.in_use, reserved: q.reserved } : q.limit;
      out.id = project;
      return { quota_set: out };
    }

    async function defaults(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const project = projectOf(req);
      authorize(ctx, 'volume_extension:quotas:show', project);
      return { quota_set: { ...(await quotas.defaults()), id: project } };
    }

    async function update(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const project = projectOf(req);
      const quotaSet = validateUpdateQuotaSet(req.body, new Set(await quotas.resourceNames())).quota_set;
      authorize(ctx, 'volume_extension:quotas:update', project);
      if (project.length > 255)
        throw new BadRequest(
          `Invalid input received: quota_set_name has ${project.length} characters, more than 255.`,
        );
      const current = await quotas.projectQuotas(project);
      const limits: Record<string, number> = {};
      for (const [key, raw] of Object.entries(quotaSet)) {
        if (NON_QUOTA_KEYS.has(key)) continue;
        // NOTE: the schema also lets integer strings through; they are used as numbers here.
        const value = Number(String(raw).trim().replaceAll('_', ''));
        if (key !== 'per_volume_gigabytes' && value !== -1) {
          const used = (current[key]?.in_use ?? 0) + (current[key]?.reserved ?? 0);
          if (value < used) {
            throw new BadRequest(
              `Quota ${key} limit must be equal or greater than existing resources. Current usage is ${used} and the requested limit is ${value}.`,
            );
          }
        }
        limits[key] = value;
      }
      await quotas.setProjectLimits(project, limits);
      const after = await quotas.projectQuotas(project);
      return { quota_set: Object.fromEntries(Object.entries(after).map(([k, q]) => [k, q.limit])) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      const project = projectOf(req);
      authorize(ctx, 'volume_extension:quotas:delete', project);
      await quotas.resetProjectLimits(project);
      return reply.code(200).send();
    }

    app.get<ById>('/os-quota-sets/:id', show);
    app.get<ById>('/os-quota-sets/:id/defaults', defaults);
    app.put<ById>('/os-quota-sets/:id', update);
    app.delete<ById>('/os-quota-sets/:id', destroy);
  };
}
