/**
 * `/os-quota-class-sets/{class_name}` (Cinder's `api/contrib/quota_classes.py`): show and update
 * the limits of a quota class, admin only. Class `default` holds the defaults every project gets;
 * per-type keys (`volumes_<type>`, …) are accepted and shown like the fixed resources.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { BadRequest, InvalidInput } from '../../common/errors.js';
import { pyLen } from '../validation/python-values.js';
import { compileSchema } from '../validation/index.js';
import { updateQuotaClass, type UpdateQuotaClassBody } from '../schemas/quota-classes.js';

const validateUpdateQuotaClass = compileSchema<UpdateQuotaClassBody>(updateQuotaClass);

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Cinder's `quota_class_set` format check: every key must be a quota resource. It runs before the
 * per-value checks, so a body with bad keys is refused for its keys first.
 */
function checkQuotaClassKeys(body: unknown, resources: ReadonlySet<string>): void {
  if (!isDict(body) || !isDict(body.quota_class_set)) return;
  const bad = Object.keys(body.quota_class_set).filter((k) => !resources.has(k));
  if (bad.length) throw new InvalidInput(`Bad key(s) in quota class set: ${bad.join(', ')}`);
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/os-quota-class-sets`. */
export function quotaClassSetRoutes(deps: ApiDeps) {
  const quotas = deps.core.quotas;
  const classOf = (req: FastifyRequest<ById>) => req.params.id;

  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:quota_classes:get');
      const name = classOf(req);
      return { quota_class_set: { ...(await quotas.classQuotas(name)), id: name } };
    }

    async function update(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      checkQuotaClassKeys(req.body, new Set(await quotas.resourceNames()));
      const quotaClassSet = validateUpdateQuotaClass(req.body).quota_class_set;
      authorize(ctx, 'volume_extension:quota_classes:update');
      const name = classOf(req);
      const length = pyLen(name);
      if (length > 255)
        throw new BadRequest(
          `Invalid input received: quota_class_name has ${length} characters, more than 255.`,
        );
      const limits: Record<string, number> = {};
      // NOTE: the schema lets digit strings through ("20"); they are stored as numbers.
      for (const [key, value] of Object.entries(quotaClassSet)) limits[key] = Number(value);
      await quotas.setClassLimits(name, limits);
      // NOTE: unlike show, Cinder's update answer carries no `id`.
      return { quota_class_set: await quotas.classQuotas(name) };
    }

    app.get<ById>('/os-quota-class-sets/:id', show);
    app.put<ById>('/os-quota-class-sets/:id', update);
  };
}
