/**
 * `/group_types` and `/group_types/{id}/group_specs` (Cinder's `api/v3/group_types.py` and
 * `group_specs.py`, 3.11+): group types are made and changed by admins; anyone lists and shows the
 * public ones, and admins see the specs. `GET /group_types/default` is Cinder's 404: Kindling has
 * no `default_group_type` option.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest, ItemNotFound, NotFound } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { GroupTypeRecord } from '../../db/api/groups.js';
import {
  createGroupType,
  deleteGroupSpec,
  destroyGroupType,
  getGroupType,
  listGroupTypes,
  setGroupSpecs,
  updateGroupType,
} from '../../volume/group-types.js';
import {
  validateCreateGroupSpecs,
  validateCreateGroupType,
  validateUpdateGroupSpec,
  validateUpdateGroupType,
} from '../schemas/groups.js';
import { collectionLinks } from '../common/pagination.js';
import { groupTypeView } from '../views/groups.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';

const SORT_COLUMNS = ['id', 'name', 'description', 'is_public', 'created_at', 'updated_at'] as const;

/** Cinder's `_parse_is_public`: absent → public only; `none` → all; else a strict boolean. */
function parseIsPublic(value: string | undefined): boolean | null {
  if (value === undefined) return true;
  if (value.toLowerCase() === 'none') return null;
  try {
    return boolFromString(value, true);
  } catch {
    throw new BadRequest(`Invalid is_public filter [${value}]`);
  }
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };
type ByIdKey = { Params: { id: string; key: string } };

/** Route group for group types and their specs. */
export function groupTypeRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const cfg = deps.core.config.DEFAULT;

  const getType = (ctx: RequestContext, id: string) => getGroupType(db, ctx, id);

  const gate = (req: FastifyRequest) => {
    const s = state(req);
    if (!s.version.gte('3.11')) throw new ItemNotFound();
    return s;
  };

  const notify = (ctx: RequestContext, publisher: string, event: string, payload: Record<string, unknown>) =>
    deps.core.notifier.notify(`${publisher}.${cfg.host}`, event, { ...payload, request_id: ctx.requestId });

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest) {
      const { ctx, links } = gate(req);
      const query = queryOf(req);
      const params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(SORT_COLUMNS));
      const isPublic = ctx.isAdmin ? parseIsPublic(query.is_public) : true;
      const types: GroupTypeRecord[] = await listGroupTypes(db, isPublic, params);
      const body: Record<string, unknown> = { group_types: types.map((t) => groupTypeView(ctx, t)) };
      const next = collectionLinks(types, params, `${links.baseUrl}${req.url}`, 'group_types');
      if (next) body.group_type_links = next;
      return body;
    }

    async function show(req: FastifyRequest<ById>) {
      const { ctx } = gate(req);
      const id = req.params.id;
      if (id === 'default') throw new NotFound('Default group type can not be found.');
      return { group_type: groupTypeView(ctx, await getType(ctx, id)) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types:create');
      const { group_type: gt } = validateCreateGroupType(req.body);
      const t = await createGroupType(db, {
        name: gt.name,
        description: gt.description ?? null,
        isPublic: boolFromString(gt.is_public ?? true, true),
        specs: gt.group_specs ?? {},
      });
      await notify(ctx, 'groupType', 'group_type.create', { group_types: groupTypeView(ctx, t) });
      return reply.code(202).send({ group_type: groupTypeView(ctx, t) });
    }

    async function update(req: FastifyRequest<ById>) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types:update');
      const { group_type: gt } = validateUpdateGroupType(req.body);
      const id = req.params.id;
      const name = gt.name ?? null;
      const description = gt.description ?? null;
      const isPublic =
        gt.is_public === undefined || gt.is_public === null ? null : boolFromString(gt.is_public, true);
      if (name !== null && name !== '' && name.trim().length === 0)
        throw new BadRequest('Group type name can not be empty.');
      if (name === null && description === null && isPublic === null)
        throw new BadRequest('Specify group type name, description or a combination thereof.');
      await getType(ctx, id);
      await updateGroupType(db, id, { name, description, isPublic });
      const t = await getType(ctx, id);
      await notify(ctx, 'groupType', 'group_type.update', { group_types: groupTypeView(ctx, t) });
      return { group_type: groupTypeView(ctx, t) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types:delete');
      const t = await getType(ctx, req.params.id);
      await destroyGroupType(db, t.id);
      await notify(ctx, 'groupType', 'group_type.delete', { group_types: groupTypeView(ctx, t) });
      return reply.code(202).send();
    }

    // ---- group specs ----

    async function specsIndex(req: FastifyRequest<ById>) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:get_all');
      return { group_specs: { ...(await getType(ctx, req.params.id)).group_specs } };
    }

    async function specsCreate(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:create');
      const body = validateCreateGroupSpecs(req.body);
      const typeId = req.params.id;
      await getType(ctx, typeId);
      const specs = body.group_specs;
      await setGroupSpecs(db, typeId, specs);
      await notify(ctx, 'groupTypeSpecs', 'group_type_specs.create', { type_id: typeId, specs });
      return reply.code(202).send(body);
    }

    async function specsShow(req: FastifyRequest<ByIdKey>) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:get');
      const { id, key } = req.params;
      const specs = (await getType(ctx, id)).group_specs;
      if (!Object.hasOwn(specs, key))
        throw new NotFound(`Group Type ${id} has no extra spec with key ${key}.`);
      return { [key]: specs[key] };
    }

    async function specsUpdate(req: FastifyRequest<ByIdKey>) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:update');
      const body = validateUpdateGroupSpec(req.body);
      const { id, key } = req.params;
      await getType(ctx, id);
      if (!Object.hasOwn(body, key)) throw new BadRequest('Request body and URI mismatch');
      await setGroupSpecs(db, id, body);
      await notify(ctx, 'groupTypeSpecs', 'group_type_specs.update', { type_id: id, id: key });
      return body;
    }

    async function specsDestroy(req: FastifyRequest<ByIdKey>, reply: FastifyReply) {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:delete');
      const { id, key } = req.params;
      await getType(ctx, id);
      await deleteGroupSpec(db, id, key);
      await notify(ctx, 'groupTypeSpecs', 'group_type_specs.delete', { type_id: id, id: key });
      return reply.code(202).send();
    }

    app.get('/group_types', index);
    app.get<ById>('/group_types/:id', show);
    app.post('/group_types', create);
    app.put<ById>('/group_types/:id', update);
    app.delete<ById>('/group_types/:id', destroy);
    app.get<ById>('/group_types/:id/group_specs', specsIndex);
    app.post<ById>('/group_types/:id/group_specs', specsCreate);
    app.get<ByIdKey>('/group_types/:id/group_specs/:key', specsShow);
    app.put<ByIdKey>('/group_types/:id/group_specs/:key', specsUpdate);
    app.delete<ByIdKey>('/group_types/:id/group_specs/:key', specsDestroy);
  };
}
