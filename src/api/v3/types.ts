/**
 * `/types` (Cinder's `api/v3/types.py` VolumeTypesController with the `types_manage` and
 * `volume_type_access` extensions): list, show, `default`, create, update, delete.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { VolumeTypeListFilters, VolumeTypeRecord } from '../../db/api/volume-types.js';
import type { VolumeTypesTable } from '../../db/schema.js';
import {
  createVolumeType,
  destroyVolumeType,
  getDefaultVolumeType,
  getVolumeType,
  listVolumeTypes,
  updateVolumeType,
} from '../../volume/volume-types.js';
import { validateCreateVolumeType, validateUpdateVolumeType } from '../schemas/index.js';
import { collectionLinks } from '../common/pagination.js';
import { volumeTypeManageView, volumeTypeView, withTypeAccess } from '../views/types.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { rejectInvalidFilters, resourceFilters, type ResourceFiltersFile } from '../resource-filters.js';
import { parseDictFilter } from './volume-filters.js';

/** Columns of `volume_types` a list may be filtered or sorted by. */
const TYPE_COLUMNS = [
  'id',
  'name',
  'description',
  'is_public',
  'qos_specs_id',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
] as const;
/** Model attributes Cinder accepts as filter keys (relationships included). */
const TYPE_FILTER_KEYS = new Set<string>([...TYPE_COLUMNS, 'extra_specs', 'projects', 'qos_specs']);

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

/** Filters of a type list from what is left of the query (Cinder's `_get_volume_types`). */
function typeFilters(
  req: FastifyRequest,
  ctx: RequestContext,
  query: Record<string, string>,
  file: ResourceFiltersFile,
): VolumeTypeListFilters | null {
  const s = state(req);
  const filters = { ...query };
  if (s.version.gte('3.52')) {
    // Cinder's `process_general_filtering('volume_type')`: the resource filters file's entry.
    rejectInvalidFilters(ctx, filters, 'volume_type', true, file);
  } else if (!ctx.isAdmin) {
    for (const k of Object.keys(filters)) if (k !== 'is_public') delete filters[k];
  }
  const isPublic = ctx.isAdmin ? parseIsPublic(queryOf(req).is_public) : true;
  delete filters.is_public;
  let extraSpecs: Record<string, string> | null = null;
  if ('extra_specs' in filters) {
    // NOTE: Cinder fails with an unhandled error (500) when the value is not a dict.
    extraSpecs = parseDictFilter(filters.extra_specs, 'extra_specs');
    if (
      !ctx.isAdmin &&
      Object.keys(extraSpecs).some(
        (k) => !['RESKEY:availability_zones', 'multiattach', 'replication_enabled'].includes(k),
      )
    )
      return null;
    delete filters.extra_specs;
  }
  // NOTE: Cinder answers an empty list when a filter names no attribute of the type model.
  if (Object.keys(filters).some((k) => !TYPE_FILTER_KEYS.has(k))) return null;
  const columns: Partial<Record<keyof VolumeTypesTable, string>> = {};
  for (const [k, v] of Object.entries(filters)) {
    if ((TYPE_COLUMNS as readonly string[]).includes(k)) columns[k as keyof VolumeTypesTable] = v;
    else return null;
  }
  return { isPublic, projectId: ctx.projectId, columns, extraSpecs };
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/types`. */
export function typeRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const cfg = deps.core.config.DEFAULT;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

  const notify = (ctx: RequestContext, event: string, t: VolumeTypeRecord) =>
    deps.core.notifier.notify(`volumeType.${cfg.host}`, event, {
      volume_types: { ...volumeTypeManageView(t) },
      request_id: ctx.requestId,
    });

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest) {
      const { ctx, links } = state(req);
      authorize(ctx, 'volume_extension:type_get_all');
      const query = queryOf(req);
      const params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(TYPE_COLUMNS));
      const filters = typeFilters(req, ctx, query, filtersFile);
      const types = filters ? await listVolumeTypes(db, filters, params) : [];
      const body: Record<string, unknown> = {
        volume_types: types.map((t) => withTypeAccess(ctx, volumeTypeView(ctx, t), t)),
      };
      const next = collectionLinks(types, params, `${links.baseUrl}${req.url}`, 'types');
      if (next) body.volume_type_links = next;
      return body;
    }

    async function show(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const id = req.params.id;
      if (id === 'default') {
        const t = await getDefaultVolumeType(db, ctx, cfg.default_volume_type);
        authorize(ctx, 'volume_extension:type_get');
        // NOTE: Cinder caches types by id, so the access extension finds nothing for `default`.
        return { volume_type: volumeTypeView(ctx, t) };
      }
      const t = await getVolumeType(db, ctx, id);
      authorize(ctx, 'volume_extension:type_get');
      return { volume_type: withTypeAccess(ctx, volumeTypeView(ctx, t), t) };
    }

    async function create(req: FastifyRequest) {
      const { ctx } = state(req);
      const { volume_type: vt } = validateCreateVolumeType(req.body);
      authorize(ctx, 'volume_extension:type_create');
      const isPublic = boolFromString(vt['os-volume-type-access:is_public'] ?? true, true);
      const t = await createVolumeType(db, {
        name: vt.name,
        description: vt.description ?? null,
        isPublic,
        extraSpecs: vt.extra_specs ?? {},
      });
      await notify(ctx, 'volume_type.create', t);
      return { volume_type: withTypeAccess(ctx, volumeTypeManageView(t), t) };
    }

    async function update(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const { volume_type: vt } = validateUpdateVolumeType(req.body);
      authorize(ctx, 'volume_extension:type_update');
      const id = req.params.id;
      const name = vt.name ?? null;
      const description = vt.description ?? null;
      const isPublic =
        vt.is_public === undefined || vt.is_public === null ? null : boolFromString(vt.is_public, true);
      if (name && name.trim().length === 0) throw new BadRequest('Volume type name can not be empty.');
      if (name === null && description === null && isPublic === null) {
        throw new BadRequest('Specify volume type name, description, is_public or a combination thereof.');
      }
      const old = await getVolumeType(db, ctx, id);
      await updateVolumeType(db, old, { name, description, isPublic });
      const t = await getVolumeType(db, ctx, id);
      await notify(ctx, 'volume_type.update', t);
      return { volume_type: volumeTypeManageView(t) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:type_delete');
      const t = await getVolumeType(db, ctx, req.params.id);
      await destroyVolumeType(db, cfg.default_volume_type, t);
      await notify(ctx, 'volume_type.delete', t);
      return reply.code(202).send();
    }

    app.get('/types', index);
    app.get<ById>('/types/:id', show);
    app.post('/types', create);
    app.put<ById>('/types/:id', update);
    app.delete<ById>('/types/:id', destroy);
  };
}
