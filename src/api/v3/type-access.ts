/**
 * Private volume types (Cinder's `api/contrib/volume_type_access.py`): who may use a private type
 * (`GET /types/{id}/os-volume-type-access`) and the `addProjectAccess` / `removeProjectAccess`
 * actions (`POST /types/{id}/action`). A project given access sees the type in its lists and may
 * create volumes of it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { NotFound } from '../../common/errors.js';
import { addTypeAccess, removeTypeAccess, typeAccessList } from '../../volume/type-access.js';
import { getVolumeType } from '../../volume/volume-types.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/volume-type-access.js';
import { typeAccessView } from '../views/types.js';
import { actionName, noSuchAction } from './actions.js';

const validateAdd = compileSchema<schemas.AddProjectAccessBody>(schemas.addProjectAccess);
const validateRemove = compileSchema<schemas.RemoveProjectAccessBody>(schemas.removeProjectAccess);

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for type access. */
export function typeAccessRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;

  const notify = (ctx: RequestContext, suffix: string, typeId: string, projectId: string) =>
    deps.core.notifier.notify(
      `volume_type_project.${deps.core.config.DEFAULT.host}`,
      `volume_type_project.${suffix}`,
      {
        volume_type_id: typeId,
        project_id: projectId,
        request_id: ctx.requestId,
      },
    );

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:volume_type_access:get_all_for_type');
      const t = await getVolumeType(db, ctx, req.params.id);
      if (t.is_public) throw new NotFound('Access list not available for public volume types.');
      return typeAccessView(await typeAccessList(db, t.id));
    }

    async function action(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      const typeId = req.params.id;
      const action = actionName(req.body);
      if (action === 'addProjectAccess') {
        const { project } = validateAdd(req.body).addProjectAccess;
        authorize(ctx, 'volume_extension:volume_type_access:addProjectAccess');
        await addTypeAccess(db, typeId, project);
        await notify(ctx, 'access.add', typeId, project);
      } else if (action === 'removeProjectAccess') {
        const { project } = validateRemove(req.body).removeProjectAccess;
        authorize(ctx, 'volume_extension:volume_type_access:removeProjectAccess');
        await removeTypeAccess(db, typeId, project);
        await notify(ctx, 'access.remove', typeId, project);
      } else {
        throw noSuchAction(action);
      }
      return reply.code(202).send();
    }

    app.get<ById>('/types/:id/os-volume-type-access', index);
    app.post<ById>('/types/:id/action', action);
  };
}
