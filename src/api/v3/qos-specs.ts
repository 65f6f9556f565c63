/**
 * `/qos-specs` (Cinder's `api/contrib/qos_specs_manage.py`): list, create, show, set keys, delete
 * (`force`), `delete_keys`, and the association routes (`associations`, `associate`,
 * `disassociate`, `disassociate_all`, all GETs with `vol_type_id` in the query, as in Cinder).
 * Every route is admin-only by default policy.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest } from '../../common/errors.js';
import type { QosSpecsRecord } from '../../db/api/qos-specs.js';
import {
  QOS_SPECS_COLUMNS,
  QoSSpecsInUse,
  associateQosSpecs,
  createQosSpecs,
  deleteQosSpecs,
  deleteQosSpecsKeys,
  disassociateAllQosSpecs,
  disassociateQosSpecs,
  getQosSpecs,
  listQosSpecs,
  qosSpecsAssociatedTypes,
  updateQosSpecs,
} from '../../volume/qos-specs.js';
import { collectionLinks } from '../common/pagination.js';
import { pyStrip } from '../validation/python-values.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/qos-specs.js';
import { qosAssociationsView, qosSpecsDetailView, qosSpecsEntry } from '../views/qos-specs.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { getBoolParam } from './query-params.js';

const validateCreate = compileSchema<schemas.CreateQosSpecsBody>(schemas.create);
const validateSet = compileSchema<schemas.SetQosSpecsBody>(schemas.set);
const validateUnset = compileSchema<schemas.UnsetQosSpecsBody>(schemas.unset);

type Column = (typeof QOS_SPECS_COLUMNS)[number];

/**
 * Filters of a list: columns of the table only (Cinder filters the model, so `name` or `consumer`
 * match nothing); null when nothing can match.
 */
function listFilters(query: Record<string, string>): Partial<Record<Column, string>> | null {
  const out: Partial<Record<Column, string>> = {};
  for (const [k, v] of Object.entries(query)) {
    if (!(QOS_SPECS_COLUMNS as readonly string[]).includes(k)) return null;
    // NOTE: `deleted` is an integer column; a value that is no integer matches no live row.
    if (k === 'deleted' && !/^\d+$/.test(v)) return null;
    out[k as Column] = v;
  }
  return out;
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/qos-specs`. */
export function qosSpecsRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const cfg = deps.core.config.DEFAULT;

  const notify = (ctx: RequestContext, event: string, payload: Record<string, unknown>) =>
    deps.core.notifier.notify(`QoSSpecs.${cfg.host}`, `qos_specs.${event}`, {
      ...payload,
      request_id: ctx.requestId,
    });

  /** `vol_type_id` of an (dis)association; Cinder's 400 when missing or empty. */
  function typeIdOf(req: FastifyRequest): string {
    const typeId = queryOf(req).vol_type_id;
    if (!typeId) throw new BadRequest('Volume Type id must not be None.');
    return typeId;
  }

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest) {
      const { ctx, links } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:get_all');
      const query = queryOf(req);
      const params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(QOS_SPECS_COLUMNS));
      const filters = listFilters(query);
      const specs: QosSpecsRecord[] = filters ? await listQosSpecs(db, filters, params) : [];
      const body: Record<string, unknown> = { qos_specs: specs.map(qosSpecsEntry) };
      const next = collectionLinks(specs, params, `${links.baseUrl}${req.url}`, 'qos-specs');
      if (next) body.qos_specs_links = next;
      return body;
    }

    async function create(req: FastifyRequest) {
      const { ctx, links } = state(req);
      const { name, ...requested } = validateCreate(req.body).qos_specs;
      authorize(ctx, 'volume_extension:qos_specs_manage:create');
      const spec = await createQosSpecs(db, pyStrip(name), requested);
      await notify(ctx, 'create', { name: spec.name, created_at: spec.created_at, specs: requested });
      return qosSpecsDetailView(spec, links);
    }

    async function show(req: FastifyRequest<ById>) {
      const { ctx, links } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:get');
      return qosSpecsDetailView(await getQosSpecs(db, req.params.id), links);
    }

    async function update(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const body = validateSet(req.body);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const spec = await getQosSpecs(db, req.params.id);
      const requested = body.qos_specs;
      await updateQosSpecs(db, spec, requested);
      await notify(ctx, 'update', { id: spec.id, created_at: spec.created_at, specs: requested });
      return body;
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:delete');
      const force = getBoolParam('force', queryOf(req));
      const spec = await getQosSpecs(db, req.params.id);
      try {
        await deleteQosSpecs(db, spec, force);
      } catch (e) {
        if (e instanceof QoSSpecsInUse) throw new BadRequest('Qos specs still in use.');
        throw e;
      }
      await notify(ctx, 'delete', { id: spec.id, created_at: spec.created_at });
      return reply.code(202).send();
    }

    async function deleteKeys(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      const { keys } = validateUnset(req.body);
      authorize(ctx, 'volume_extension:qos_specs_manage:delete');
      const spec = await getQosSpecs(db, req.params.id);
      await deleteQosSpecsKeys(db, spec, keys);
      await notify(ctx, 'delete_keys', { id: spec.id, created_at: spec.created_at });
      return reply.code(202).send();
    }

    async function associations(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:get_all');
      const spec = await getQosSpecs(db, req.params.id);
      return qosAssociationsView(await qosSpecsAssociatedTypes(db, spec.id));
    }

    async function associate(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const typeId = typeIdOf(req);
      const spec = await getQosSpecs(db, req.params.id);
      await associateQosSpecs(db, spec, typeId);
      await notify(ctx, 'associate', { id: spec.id, type_id: typeId, created_at: spec.created_at });
      return reply.code(202).send();
    }

    async function disassociate(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const typeId = typeIdOf(req);
      const spec = await getQosSpecs(db, req.params.id);
      await disassociateQosSpecs(db, spec, typeId);
      await notify(ctx, 'disassociate', { id: spec.id, type_id: typeId, created_at: spec.created_at });
      return reply.code(202).send();
    }

    async function disassociateAll(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const spec = await getQosSpecs(db, req.params.id);
      await disassociateAllQosSpecs(db, spec.id);
      await notify(ctx, 'disassociate_all', { id: spec.id, created_at: spec.created_at });
      return reply.code(202).send();
    }

    app.get('/qos-specs', index);
    app.post('/qos-specs', create);
    app.get<ById>('/qos-specs/:id', show);
    app.put<ById>('/qos-specs/:id', update);
    app.delete<ById>('/qos-specs/:id', destroy);
    app.put<ById>('/qos-specs/:id/delete_keys', deleteKeys);
    app.get<ById>('/qos-specs/:id/associations', associations);
    app.get<ById>('/qos-specs/:id/associate', associate);
    app.get<ById>('/qos-specs/:id/disassociate', disassociate);
    app.get<ById>('/qos-specs/:id/disassociate_all', disassociateAll);
  };
}
