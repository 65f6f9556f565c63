/**
 * `/types/{type_id}/extra_specs[/{key}]` (Cinder's `api/contrib/types_extra_specs.py`). Specs of a
 * type that volumes use cannot be changed (Zed's `_allow_update`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest, VolumeTypeExtraSpecsNotFound } from '../../common/errors.js';
import { deleteExtraSpec, setExtraSpecs } from '../../volume/type-extra-specs.js';
import { getVolumeType, isVolumeTypeInUse } from '../../volume/volume-types.js';
import { validateCreateExtraSpecs, validateUpdateExtraSpec } from '../schemas/index.js';
import { visibleExtraSpecs } from '../views/types.js';

const IS_TRUE = '<is> True';

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };
type ByIdKey = { Params: { id: string; key: string } };

/** Route group for a type's extra specs. */
export function typeExtraSpecsRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;

  const checkType = (ctx: RequestContext, typeId: string) => getVolumeType(db, ctx, typeId);

  /** Zed refuses spec changes while any live volume has the type. */
  async function allowUpdate(typeId: string): Promise<void> {
    if (await isVolumeTypeInUse(db, typeId)) throw new BadRequest('Volume Type is currently in use.');
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
    async function index(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:types_extra_specs:index');
      const t = await checkType(ctx, req.params.id);
      return { extra_specs: visibleExtraSpecs(ctx, t.extra_specs) };
    }

    async function create(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const body = validateCreateExtraSpecs(req.body);
      authorize(ctx, 'volume_extension:types_extra_specs:create');
      const typeId = req.params.id;
      await allowUpdate(typeId);
      const t = await checkType(ctx, typeId);
      const specs = body.extra_specs;
      checkCacheable(specs, t.extra_specs);
      await setExtraSpecs(db, typeId, specs);
      await notify(ctx, 'volume_type_extra_specs.create', { type_id: typeId, specs });
      return body;
    }

    async function show(req: FastifyRequest<ByIdKey>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:types_extra_specs:show');
      const { id: typeId, key } = req.params;
      const specs = visibleExtraSpecs(ctx, (await checkType(ctx, typeId)).extra_specs);
      if (!Object.hasOwn(specs, key)) throw new VolumeTypeExtraSpecsNotFound(typeId, key);
      return { [key]: specs[key] };
    }

    async function update(req: FastifyRequest<ByIdKey>) {
      const { ctx } = state(req);
      const body = validateUpdateExtraSpec(req.body);
      authorize(ctx, 'volume_extension:types_extra_specs:update');
      const { id: typeId, key } = req.params;
      await allowUpdate(typeId);
      await checkType(ctx, typeId);
      if (!Object.hasOwn(body, key)) throw new BadRequest('Request body and URI mismatch');
      await setExtraSpecs(db, typeId, body);
      await notify(ctx, 'volume_type_extra_specs.update', { type_id: typeId, id: key });
      return body;
    }

    async function destroy(req: FastifyRequest<ByIdKey>, reply: FastifyReply) {
      const { ctx } = state(req);
      const { id: typeId, key } = req.params;
      await checkType(ctx, typeId);
      authorize(ctx, 'volume_extension:types_extra_specs:delete');
      await allowUpdate(typeId);
      await deleteExtraSpec(db, typeId, key);
      await notify(ctx, 'volume_type_extra_specs.delete', { type_id: typeId, id: key });
      return reply.code(202).send();
    }

    app.get<ById>('/types/:id/extra_specs', index);
    app.post<ById>('/types/:id/extra_specs', create);
    app.get<ByIdKey>('/types/:id/extra_specs/:key', show);
    app.put<ByIdKey>('/types/:id/extra_specs/:key', update);
    app.delete<ByIdKey>('/types/:id/extra_specs/:key', destroy);
  };
}
