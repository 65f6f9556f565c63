/**
 * `/qos-specs` (Cinder's `api/contrib/qos_specs_manage.py`): list, create, show, set keys, delete
 * (`force`), `delete_keys`, and the association routes (`associations`, `associate`,
 * `disassociate`, `disassociate_all`, all GETs with `vol_type_id` in the query, as in Cinder).
 * Every route is admin-only by default policy.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { queryOf, state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest } from '../../common/errors.js';
import {
  QOS_SPECS_COLUMNS,
  qosSpecsAssociations,
  qosSpecsDeleteKeys,
  qosSpecsDisassociateAll,
  qosSpecsGetOrFail,
  qosSpecsList,
  type QosSpecsRecord,
} from '../../db/api/qos-specs.js';
import {
  QoSSpecsInUse,
  associateQosSpecs,
  createQosSpecs,
  deleteQosSpecs,
  disassociateQosSpecs,
  updateQosSpecs,
} from '../../volume/qos-specs.js';
import { collectionLinks } from '../common/pagination.js';
import { pyStrip } from '../validation/python-values.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/qos-specs.js';
import { qosAssociationsView, qosSpecsDetailView, qosSpecsEntry } from '../views/qos-specs.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { getBoolParam } from './query-params.js';

const validateCreate = compileSchema(schemas.create);
const validateSet = compileSchema(schemas.set);
const validateUnset = compileSchema(schemas.unset);

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

/** Route group for `/qos-specs`. */
export function qosSpecsRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const cfg = deps.core.config.DEFAULT;

  const notify = (ctx: RequestContext, event: string, payload: Record<string, unknown>) =>
    deps.core.notifier.notify(`QoSSpecs.${cfg.host}`, `qos_specs.${event}`, {
      ...payload,
      request_id: ctx.requestId,
    });

  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;

  /** `vol_type_id` of an (dis)association; Cinder's 400 when missing or empty. */
  function typeIdOf(req: FastifyRequest): string {
    const typeId = queryOf(req).vol_type_id;
    if (!typeId) throw new BadRequest('Volume Type id must not be None.');
    return typeId;
  }

  return async (app: FastifyInstance) => {
    app.get('/qos-specs', async (req) => {
      const { ctx, links } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:get_all');
      const query = queryOf(req);
      const params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(QOS_SPECS_COLUMNS));
      const filters = listFilters(query);
      const specs: QosSpecsRecord[] = filters ? await qosSpecsList(db, filters, params) : [];
      const body: Record<string, unknown> = { qos_specs: specs.map(qosSpecsEntry) };
      const next = collectionLinks(specs, params, `${links.baseUrl}${req.url}`, 'qos-specs');
      if (next) body.qos_specs_links = next;
      return body;
    });

    app.post('/qos-specs', async (req) => {
      const { ctx, links } = state(req);
      validateCreate(req.body);
      authorize(ctx, 'volume_extension:qos_specs_manage:create');
      const { name, ...requested } = (req.body as { qos_specs: Record<string, unknown> }).qos_specs;
      const spec = await createQosSpecs(db, pyStrip(name as string), requested);
      await notify(ctx, 'create', { name: spec.name, created_at: spec.created_at, specs: requested });
      return qosSpecsDetailView(spec, links);
    });

    app.get('/qos-specs/:id', async (req) => {
      const { ctx, links } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:get');
      return qosSpecsDetailView(await qosSpecsGetOrFail(db, idOf(req)), links);
    });

    app.put('/qos-specs/:id', async (req) => {
      const { ctx } = state(req);
      validateSet(req.body);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const spec = await qosSpecsGetOrFail(db, idOf(req));
      const requested = (req.body as { qos_specs: Record<string, string | null> }).qos_specs;
      await updateQosSpecs(db, spec, requested);
      await notify(ctx, 'update', { id: spec.id, created_at: spec.created_at, specs: requested });
      return req.body;
    });

    app.delete('/qos-specs/:id', async (req, reply: FastifyReply) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:delete');
      const force = getBoolParam('force', queryOf(req));
      const spec = await qosSpecsGetOrFail(db, idOf(req));
      try {
        await deleteQosSpecs(db, spec, force);
      } catch (e) {
        if (e instanceof QoSSpecsInUse) throw new BadRequest('Qos specs still in use.');
        throw e;
      }
      await notify(ctx, 'delete', { id: spec.id, created_at: spec.created_at });
      return reply.code(202).send();
    });

    app.put('/qos-specs/:id/delete_keys', async (req, reply: FastifyReply) => {
      const { ctx } = state(req);
      validateUnset(req.body);
      authorize(ctx, 'volume_extension:qos_specs_manage:delete');
      const spec = await qosSpecsGetOrFail(db, idOf(req));
      await qosSpecsDeleteKeys(db, spec, (req.body as { keys: string[] }).keys);
      await notify(ctx, 'delete_keys', { id: spec.id, created_at: spec.created_at });
      return reply.code(202).send();
    });

    app.get('/qos-specs/:id/associations', async (req) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:get_all');
      const spec = await qosSpecsGetOrFail(db, idOf(req));
      return qosAssociationsView(await qosSpecsAssociations(db, spec.id));
    });

    app.get('/qos-specs/:id/associate', async (req, reply: FastifyReply) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const typeId = typeIdOf(req);
      const spec = await qosSpecsGetOrFail(db, idOf(req));
      await associateQosSpecs(db, spec, typeId);
      await notify(ctx, 'associate', { id: spec.id, type_id: typeId, created_at: spec.created_at });
      return reply.code(202).send();
    });

    app.get('/qos-specs/:id/disassociate', async (req, reply: FastifyReply) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const typeId = typeIdOf(req);
      const spec = await qosSpecsGetOrFail(db, idOf(req));
      await disassociateQosSpecs(db, spec, typeId);
      await notify(ctx, 'disassociate', { id: spec.id, type_id: typeId, created_at: spec.created_at });
      return reply.code(202).send();
    });

    app.get('/qos-specs/:id/disassociate_all', async (req, reply: FastifyReply) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:qos_specs_manage:update');
      const spec = await qosSpecsGetOrFail(db, idOf(req));
      await qosSpecsDisassociateAll(db, spec.id);
      await notify(ctx, 'disassociate_all', { id: spec.id, created_at: spec.created_at });
      return reply.code(202).send();
    });
  };
}
