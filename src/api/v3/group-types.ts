/**
 * `/group_types` and `/group_types/{id}/group_specs` (Cinder's `api/v3/group_types.py` and
 * `group_specs.py`, 3.11+): group types are made and changed by admins; anyone lists and shows the
 * public ones, and admins see the specs. `GET /group_types/default` is Cinder's 404: Kindling has
 * no `default_group_type` option.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { queryOf, state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import {
  BadRequest,
  GroupTypeExists,
  GroupTypeNotFound,
  GroupTypeSpecsNotFound,
  ItemNotFound,
  NotFound,
} from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import { newUuid } from '../../common/uuid.js';
import {
  GroupMarkerNotFound,
  groupTypeCreate,
  groupTypeDestroy,
  groupTypeGet,
  groupTypeGetByName,
  groupTypeInUse,
  groupTypeList,
  groupTypeSpecsDelete,
  groupTypeSpecsUpdate,
  groupTypeUpdate,
  type GroupTypeRecord,
} from '../../db/api/groups.js';
import {
  validateCreateGroupSpecs,
  validateCreateGroupType,
  validateUpdateGroupSpec,
  validateUpdateGroupType,
} from '../schemas/groups.js';
import { collectionLinks } from '../common/pagination.js';
import { groupTypeView } from '../views/groups.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';

type Body = Record<string, unknown>;

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

/** Route group for group types and their specs. */
export function groupTypeRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const cfg = deps.core.config.DEFAULT;

  /** A group type the caller may see (a private one only for admins), or 404. */
  async function getType(ctx: RequestContext, id: string): Promise<GroupTypeRecord> {
    const t = await groupTypeGet(db, id);
    if (!t || (!t.is_public && !ctx.isAdmin)) throw new GroupTypeNotFound(id);
    return t;
  }

  const gate = (req: FastifyRequest) => {
    const s = state(req);
    if (!s.version.gte('3.11')) throw new ItemNotFound();
    return s;
  };

  const notify = (ctx: RequestContext, publisher: string, event: string, payload: Record<string, unknown>) =>
    deps.core.notifier.notify(`${publisher}.${cfg.host}`, event, { ...payload, request_id: ctx.requestId });

  return async (app: FastifyInstance) => {
    app.get('/group_types', async (req) => {
      const { ctx, links } = gate(req);
      const query = queryOf(req);
      const params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(SORT_COLUMNS));
      const isPublic = ctx.isAdmin ? parseIsPublic(query.is_public) : true;
      let types: GroupTypeRecord[];
      try {
        types = await groupTypeList(db, { isPublic }, params);
      } catch (e) {
        if (e instanceof GroupMarkerNotFound) throw new GroupTypeNotFound(e.marker);
        throw e;
      }
      const body: Record<string, unknown> = { group_types: types.map((t) => groupTypeView(ctx, t)) };
      const next = collectionLinks(types, params, `${links.baseUrl}${req.url}`, 'group_types');
      if (next) body.group_type_links = next;
      return body;
    });

    app.get('/group_types/:id', async (req) => {
      const { ctx } = gate(req);
      const id = (req.params as { id: string }).id;
      if (id === 'default') throw new NotFound('Default group type can not be found.');
      return { group_type: groupTypeView(ctx, await getType(ctx, id)) };
    });

    app.post('/group_types', async (req, reply) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types:create');
      validateCreateGroupType(req.body);
      const gt = (req.body as Body).group_type as Body;
      const name = gt.name as string;
      if (await groupTypeGetByName(db, name)) throw new GroupTypeExists(name);
      await groupTypeCreate(db, {
        id: newUuid(),
        name,
        description: (gt.description ?? null) as string | null,
        is_public: boolFromString(gt.is_public ?? true, true),
        specs: (gt.group_specs ?? {}) as Record<string, string>,
      });
      const t = (await groupTypeGetByName(db, name))!;
      await notify(ctx, 'groupType', 'group_type.create', { group_types: groupTypeView(ctx, t) });
      return reply.code(202).send({ group_type: groupTypeView(ctx, t) });
    });

    app.put('/group_types/:id', async (req) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types:update');
      validateUpdateGroupType(req.body);
      const id = (req.params as { id: string }).id;
      const gt = (req.body as Body).group_type as Body;
      const name = (gt.name ?? null) as string | null;
      const description = (gt.description ?? null) as string | null;
      const isPublic =
        gt.is_public === undefined || gt.is_public === null ? null : boolFromString(gt.is_public, true);
      if (name !== null && name !== '' && name.trim().length === 0)
        throw new BadRequest('Group type name can not be empty.');
      if (name === null && description === null && isPublic === null)
        throw new BadRequest('Specify group type name, description or a combination thereof.');
      await getType(ctx, id);
      if (name) {
        const clash = await groupTypeGetByName(db, name);
        if (clash && clash.id !== id) throw new GroupTypeExists(name);
      }
      await groupTypeUpdate(db, id, {
        ...(name ? { name } : {}),
        ...(description !== null ? { description } : {}),
        ...(isPublic !== null ? { is_public: isPublic ? 1 : 0 } : {}),
      });
      const t = await getType(ctx, id);
      await notify(ctx, 'groupType', 'group_type.update', { group_types: groupTypeView(ctx, t) });
      return { group_type: groupTypeView(ctx, t) };
    });

    app.delete('/group_types/:id', async (req, reply) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types:delete');
      const t = await getType(ctx, (req.params as { id: string }).id);
      if (await groupTypeInUse(db, t.id)) throw new BadRequest('Target group type is still in use.');
      await groupTypeDestroy(db, t.id);
      await notify(ctx, 'groupType', 'group_type.delete', { group_types: groupTypeView(ctx, t) });
      return reply.code(202).send();
    });

    // ---- group specs ----

    const specParams = (req: FastifyRequest) => req.params as { id: string; key: string };

    app.get('/group_types/:id/group_specs', async (req) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:get_all');
      return { group_specs: { ...(await getType(ctx, specParams(req).id)).group_specs } };
    });

    app.post('/group_types/:id/group_specs', async (req, reply) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:create');
      validateCreateGroupSpecs(req.body);
      const typeId = specParams(req).id;
      await getType(ctx, typeId);
      const specs = (req.body as { group_specs: Record<string, string | null> }).group_specs;
      await groupTypeSpecsUpdate(db, typeId, specs);
      await notify(ctx, 'groupTypeSpecs', 'group_type_specs.create', { type_id: typeId, specs });
      return reply.code(202).send(req.body);
    });

    app.get('/group_types/:id/group_specs/:key', async (req) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:get');
      const { id, key } = specParams(req);
      const specs = (await getType(ctx, id)).group_specs;
      if (!(key in specs)) throw new NotFound(`Group Type ${id} has no extra spec with key ${key}.`);
      return { [key]: specs[key] };
    });

    app.put('/group_types/:id/group_specs/:key', async (req) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:update');
      validateUpdateGroupSpec(req.body);
      const { id, key } = specParams(req);
      await getType(ctx, id);
      const body = req.body as Record<string, string | null>;
      if (!(key in body)) throw new BadRequest('Request body and URI mismatch');
      await groupTypeSpecsUpdate(db, id, body);
      await notify(ctx, 'groupTypeSpecs', 'group_type_specs.update', { type_id: id, id: key });
      return body;
    });

    app.delete('/group_types/:id/group_specs/:key', async (req, reply) => {
      const { ctx } = gate(req);
      authorize(ctx, 'group:group_types_specs:delete');
      const { id, key } = specParams(req);
      await getType(ctx, id);
      if (!(await groupTypeSpecsDelete(db, id, key))) throw new GroupTypeSpecsNotFound(id, key);
      await notify(ctx, 'groupTypeSpecs', 'group_type_specs.delete', { type_id: id, id: key });
      return reply.code(202).send();
    });
  };
}
