/**
 * `/types/{type_id}/extra_specs[/{key}]` (Cinder's `api/contrib/types_extra_specs.py`). Specs of a
 * type that volumes use cannot be changed (Zed's `_allow_update`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest, VolumeTypeExtraSpecsNotFound } from '../../common/errors.js';
import {
  volumeTypeExtraSpecsDelete,
  volumeTypeExtraSpecsUpdate,
  volumeTypeInUse,
} from '../../db/api/volume-types.js';
import { getVolumeType } from '../../volume/volume-types.js';
import { validateCreateExtraSpecs, validateUpdateExtraSpec } from '../schemas/index.js';
import { visibleExtraSpecs } from '../views/types.js';

const IS_TRUE = '<is> True';

/** Route group for a type's extra specs. */
export function typeExtraSpecsRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;

  const params = (req: FastifyRequest) => req.params as { id: string; key?: string };
  const checkType = (ctx: RequestContext, typeId: string) => getVolumeType(db, ctx, typeId);

  /** Zed refuses spec changes while any live volume has the type. */
  async function allowUpdate(typeId: string): Promise<void> {
    if (await volumeTypeInUse(db, typeId)) throw new BadRequest('Volume Type is currently in use.');
  }

  /** `multiattach` and `cacheable` may not both be `<is> True` (new or existing values). */
  function checkCacheable(specs: Record<string, string>, existing: Record<string, string>): void {
    const multi = specs.multiattach === IS_TRUE;
    const cache = specs.cacheable === IS_TRUE;
    if (
      (multi && existing.cacheable === IS_TRUE) ||
      (cache && existing.multiattach === IS_TRUE) ||
      (multi && cache)
    ) {
      throw new BadRequest('cacheable cannot be set with multiattach.');
    }
  }

  async function notify(ctx: RequestContext, event: string, payload: Record<string, unknown>): Promise<void> {
    await deps.core.notifier.notify(`volumeTypeExtraSpecs.${deps.core.config.DEFAULT.host}`, event, {
      ...payload,
      request_id: ctx.requestId,
    });
  }

  return async (app: FastifyInstance) => {
    app.get('/types/:id/extra_specs', async (req) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:types_extra_specs:index');
      const t = await checkType(ctx, params(req).id);
      return { extra_specs: visibleExtraSpecs(ctx, t.extra_specs) };
    });

    app.post('/types/:id/extra_specs', async (req) => {
      const { ctx } = state(req);
      validateCreateExtraSpecs(req.body);
      authorize(ctx, 'volume_extension:types_extra_specs:create');
      const typeId = params(req).id;
      await allowUpdate(typeId);
      const t = await checkType(ctx, typeId);
      const specs = (req.body as { extra_specs: Record<string, string> }).extra_specs;
      checkCacheable(specs, t.extra_specs);
      await volumeTypeExtraSpecsUpdate(db, typeId, specs);
      await notify(ctx, 'volume_type_extra_specs.create', { type_id: typeId, specs });
      return req.body;
    });

    app.get('/types/:id/extra_specs/:key', async (req) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:types_extra_specs:show');
      const { id: typeId, key } = params(req) as { id: string; key: string };
      const specs = visibleExtraSpecs(ctx, (await checkType(ctx, typeId)).extra_specs);
      if (!(key in specs)) throw new VolumeTypeExtraSpecsNotFound(typeId, key);
      return { [key]: specs[key] };
    });

    app.put('/types/:id/extra_specs/:key', async (req) => {
      const { ctx } = state(req);
      validateUpdateExtraSpec(req.body);
      authorize(ctx, 'volume_extension:types_extra_specs:update');
      const { id: typeId, key } = params(req) as { id: string; key: string };
      await allowUpdate(typeId);
      await checkType(ctx, typeId);
      const body = req.body as Record<string, string>;
      if (!(key in body)) throw new BadRequest('Request body and URI mismatch');
      await volumeTypeExtraSpecsUpdate(db, typeId, body);
      await notify(ctx, 'volume_type_extra_specs.update', { type_id: typeId, id: key });
      return body;
    });

    app.delete('/types/:id/extra_specs/:key', async (req, reply: FastifyReply) => {
      const { ctx } = state(req);
      const { id: typeId, key } = params(req) as { id: string; key: string };
      await checkType(ctx, typeId);
      authorize(ctx, 'volume_extension:types_extra_specs:delete');
      await allowUpdate(typeId);
      if (!(await volumeTypeExtraSpecsDelete(db, typeId, key)))
        throw new VolumeTypeExtraSpecsNotFound(typeId, key);
      await notify(ctx, 'volume_type_extra_specs.delete', { type_id: typeId, id: key });
      return reply.code(202).send();
    });
  };
}
