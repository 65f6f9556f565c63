/**
 * Per-project default volume types, 3.62+ (Cinder's `api/v3/default_types.py`): set, show, list,
 * unset. Volume creates that name no type use the project's entry before `default_volume_type`
 * (see `getDefaultVolumeType`). Like Cinder, these routes exist only without a project id in the
 * URL (`/v3/default-types`).
 * NOTE: Cinder asks Keystone whether the project exists (404 `Project with id … not found.`);
 * in noauth there is no Keystone, so any project id is taken as it is.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { isAllowed } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest, ItemNotFound, NotAuthorized, NotFound } from '../../common/errors.js';
import {
  getProjectDefaultType,
  listProjectDefaultTypes,
  setProjectDefaultType,
  unsetProjectDefaultType,
} from '../../volume/default-types.js';
import { getVolumeTypeByNameOrId } from '../../volume/volume-types.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/default-types.js';
import { defaultTypeEntry } from '../views/default-types.js';

const validateSet = compileSchema<schemas.CreateOrUpdateDefaultTypeBody>(schemas.createOrUpdate);

/** Cinder's `validate_project_and_authorize`: a policy refusal is this 403 text. */
function authorizeFor(ctx: RequestContext, action: string, projectId?: string): void {
  if (!isAllowed(ctx, action, projectId))
    throw new NotAuthorized('You are not authorized to perform this operation.');
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/default-types`. */
export function defaultTypeRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;

  /** The microversion gate and the no-project-in-URL rule, as Cinder's router has them. */
  function available(req: FastifyRequest): RequestContext {
    const s = state(req);
    if (!s.version.gte('3.62') || s.links.urlProject !== null) throw new ItemNotFound();
    return s.ctx;
  }

  return async (app: FastifyInstance) => {
    async function createUpdate(req: FastifyRequest<ById>) {
      const ctx = available(req);
      const ref = validateSet(req.body).default_type.volume_type;
      const projectId = req.params.id;
      authorizeFor(ctx, 'volume_extension:default_set_or_update', projectId);
      let typeId: string;
      try {
        typeId = (await getVolumeTypeByNameOrId(db, ctx, ref)).id;
      } catch (e) {
        if (e instanceof NotFound) throw new BadRequest(e.message);
        throw e;
      }
      return { default_type: defaultTypeEntry(await setProjectDefaultType(db, projectId, typeId)) };
    }

    async function show(req: FastifyRequest<ById>) {
      const ctx = available(req);
      const projectId = req.params.id;
      authorizeFor(ctx, 'volume_extension:default_get', projectId);
      return { default_type: defaultTypeEntry(await getProjectDefaultType(db, projectId)) };
    }

    async function index(req: FastifyRequest) {
      const ctx = available(req);
      authorizeFor(ctx, 'volume_extension:default_get_all');
      return { default_types: (await listProjectDefaultTypes(db)).map(defaultTypeEntry) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const ctx = available(req);
      const projectId = req.params.id;
      authorizeFor(ctx, 'volume_extension:default_unset', projectId);
      await unsetProjectDefaultType(db, projectId);
      return reply.code(204).send();
    }

    app.put<ById>('/default-types/:id', createUpdate);
    app.get<ById>('/default-types/:id', show);
    app.get('/default-types', index);
    app.delete<ById>('/default-types/:id', destroy);
  };
}
