/**
 * Private volume types (Cinder's `api/contrib/volume_type_access.py`): who may use a private type
 * (`GET /types/{id}/os-volume-type-access`) and the `addProjectAccess` / `removeProjectAccess`
 * actions (`POST /types/{id}/action`). A project given access sees the type in its lists and may
 * create volumes of it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { InvalidVolumeType, NotFound, VolumeTypeNotFound } from '../../common/errors.js';
import {
  volumeTypeAccessAdd,
  volumeTypeAccessList,
  volumeTypeAccessRemove,
  volumeTypeGet,
} from '../../db/api/volume-types.js';
import { getVolumeType } from '../../volume/volume-types.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/volume-type-access.js';
import { typeAccessView } from '../views/types.js';
import { actionName, noSuchAction } from './actions.js';

const validateAdd = compileSchema(schemas.addProjectAccess);
const validateRemove = compileSchema(schemas.removeProjectAccess);

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

  /** Cinder's check before any change: the type exists (for an admin) and is private. */
  async function privateType(typeId: string): Promise<void> {
    const t = await volumeTypeGet(db, typeId);
    if (!t) throw new VolumeTypeNotFound(typeId);
    if (t.is_public)
      throw new InvalidVolumeType('Type access modification is not applicable to public volume type.');
  }

  return async (app: FastifyInstance) => {
    app.get('/types/:id/os-volume-type-access', async (req) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:volume_type_access:get_all_for_type');
      const t = await getVolumeType(db, ctx, (req.params as { id: string }).id);
      if (t.is_public) throw new NotFound('Access list not available for public volume types.');
      return typeAccessView(await volumeTypeAccessList(db, t.id));
    });

    app.post('/types/:id/action', async (req: FastifyRequest, reply: FastifyReply) => {
      const { ctx } = state(req);
      const typeId = (req.params as { id: string }).id;
      const action = actionName(req.body);
      if (action === 'addProjectAccess') {
        validateAdd(req.body);
        authorize(ctx, 'volume_extension:volume_type_access:addProjectAccess');
        const project = (req.body as { addProjectAccess: { project: string } }).addProjectAccess.project;
        await privateType(typeId);
        await volumeTypeAccessAdd(db, typeId, project);
        await notify(ctx, 'access.add', typeId, project);
      } else if (action === 'removeProjectAccess') {
        validateRemove(req.body);
        authorize(ctx, 'volume_extension:volume_type_access:removeProjectAccess');
        const project = (req.body as { removeProjectAccess: { project: string } }).removeProjectAccess
          .project;
        await privateType(typeId);
        await volumeTypeAccessRemove(db, typeId, project);
        await notify(ctx, 'access.remove', typeId, project);
      } else {
        throw noSuchAction(action);
      }
      return reply.code(202).send();
    });
  };
}
