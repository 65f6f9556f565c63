/**
 * `/types` (Cinder's `api/v3/types.py` VolumeTypesController with the `types_manage` and
 * `volume_type_access` extensions): list, show, `default`, create, update, delete.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state, queryOf } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import {
  BadRequest,
  InternalError,
  VolumeTypeDefaultMisconfiguredError,
  VolumeTypeExists,
} from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import { newUuid } from '../../common/uuid.js';
import type { Db } from '../../db/api/common.js';
import {
  volumeTypeCount,
  volumeTypeCreate,
  volumeTypeDefaultForProjects,
  volumeTypeDestroy,
  volumeTypeGetByName,
  volumeTypeInUse,
  volumeTypeList,
  volumeTypeQuotaResourcesRename,
  volumeTypeUpdate,
  type VolumeTypeListFilters,
  type VolumeTypeRecord,
} from '../../db/api/volume-types.js';
import type { VolumeTypesTable } from '../../db/schema.js';
import { getDefaultVolumeType, getVolumeType } from '../../volume/volume-types.js';
import { validateCreateVolumeType, validateUpdateVolumeType } from '../schemas/index.js';
import { collectionLinks } from '../common/pagination.js';
import { volumeTypeManageView, volumeTypeView, withTypeAccess } from '../views/types.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { isAscii } from './query-params.js';

type Body = Record<string, unknown>;

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

/** `ast.literal_eval` of an `extra_specs` filter, for the dict forms clients send. */
function parseSpecsFilter(raw: string): Record<string, string> | null {
  for (const text of [raw, raw.replace(/'/g, '"')]) {
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(
          Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]),
        );
      }
      return null;
    } catch {
      // try the next form
    }
  }
  return null;
}

/** Cinder's `volume_types.destroy` checks, then the soft delete. */
async function destroyType(db: Db, defaultName: string, t: VolumeTypeRecord): Promise<void> {
  const isDefault = `The volume type ${t.id} is a default volume type and cannot be deleted.`;
  if ((await volumeTypeDefaultForProjects(db, t.id)).length > 0) throw new BadRequest(isDefault);
  const conf = await volumeTypeGetByName(db, defaultName);
  if (!conf) throw new VolumeTypeDefaultMisconfiguredError(defaultName);
  if (conf.id === t.id) throw new BadRequest(isDefault);
  if ((await volumeTypeCount(db)) <= 1)
    throw new BadRequest(
      `The volume type ${t.id} is the only currently defined volume type and cannot be deleted.`,
    );
  if (await volumeTypeInUse(db, t.id)) throw new BadRequest('Target volume type is still in use.');
  await volumeTypeDestroy(db, t.id);
}

/** Filters of a type list from what is left of the query (Cinder's `_get_volume_types`). */
function typeFilters(
  req: FastifyRequest,
  ctx: RequestContext,
  query: Record<string, string>,
): VolumeTypeListFilters | null {
  const s = state(req);
  const filters = { ...query };
  if (s.version.gte('3.52') && Object.keys(filters).some((k) => !isAscii(k))) {
    throw new BadRequest('Filter keys can only contain ASCII characters.');
  }
  if (!ctx.isAdmin) {
    const allowed = s.version.gte('3.52') ? ['is_public', 'extra_specs'] : ['is_public'];
    const bad = Object.keys(filters).filter((k) => !allowed.includes(k) && k !== 'all_tenants');
    if (s.version.gte('3.52') && bad.length)
      throw new BadRequest(`Invalid filters ${bad.join(',')} are found in query options.`);
    for (const k of Object.keys(filters)) if (!allowed.includes(k)) delete filters[k];
  }
  const isPublic = ctx.isAdmin ? parseIsPublic(queryOf(req).is_public) : true;
  delete filters.is_public;
  let extraSpecs: Record<string, string> | null = null;
  if ('extra_specs' in filters) {
    extraSpecs = parseSpecsFilter(filters.extra_specs);
    // NOTE: Cinder fails with an unhandled error when the value is not a dict.
    if (!extraSpecs) throw new InternalError('extra_specs filter is not a dict');
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

/** Route group for `/types`. */
export function typeRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const cfg = deps.core.config.DEFAULT;

  const notify = (ctx: RequestContext, event: string, t: VolumeTypeRecord) =>
    deps.core.notifier.notify(`volumeType.${cfg.host}`, event, {
      volume_types: { ...volumeTypeManageView(t) },
      request_id: ctx.requestId,
    });

  return async (app: FastifyInstance) => {
    app.get('/types', async (req) => {
      const { ctx, links } = state(req);
      authorize(ctx, 'volume_extension:type_get_all');
      const query = queryOf(req);
      const params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(TYPE_COLUMNS));
      const filters = typeFilters(req, ctx, query);
      const types = filters ? await volumeTypeList(db, filters, params) : [];
      const body: Record<string, unknown> = {
        volume_types: types.map((t) => withTypeAccess(ctx, volumeTypeView(ctx, t), t)),
      };
      const next = collectionLinks(types, params, `${links.baseUrl}${req.url}`, 'types');
      if (next) body.volume_type_links = next;
      return body;
    });

    app.get('/types/:id', async (req) => {
      const { ctx } = state(req);
      const id = (req.params as { id: string }).id;
      if (id === 'default') {
        const t = await getDefaultVolumeType(db, ctx, cfg.default_volume_type);
        authorize(ctx, 'volume_extension:type_get');
        // NOTE: Cinder caches types by id, so the access extension finds nothing for `default`.
        return { volume_type: volumeTypeView(ctx, t) };
      }
      const t = await getVolumeType(db, ctx, id);
      authorize(ctx, 'volume_extension:type_get');
      return { volume_type: withTypeAccess(ctx, volumeTypeView(ctx, t), t) };
    });

    app.post('/types', async (req) => {
      const { ctx } = state(req);
      validateCreateVolumeType(req.body);
      authorize(ctx, 'volume_extension:type_create');
      const vt = (req.body as Body).volume_type as Body;
      const name = vt.name as string;
      const isPublic = boolFromString(vt['os-volume-type-access:is_public'] ?? true, true);
      if (await volumeTypeGetByName(db, name)) throw new VolumeTypeExists(name);
      await volumeTypeCreate(db, {
        id: newUuid(),
        name,
        description: (vt.description ?? null) as string | null,
        is_public: isPublic,
        extra_specs: (vt.extra_specs ?? {}) as Record<string, string>,
      });
      const t = (await volumeTypeGetByName(db, name))!;
      await notify(ctx, 'volume_type.create', t);
      return { volume_type: withTypeAccess(ctx, volumeTypeManageView(t), t) };
    });

    app.put('/types/:id', async (req) => {
      const { ctx } = state(req);
      validateUpdateVolumeType(req.body);
      authorize(ctx, 'volume_extension:type_update');
      const id = (req.params as { id: string }).id;
      const vt = (req.body as Body).volume_type as Body;
      const name = (vt.name ?? null) as string | null;
      const description = (vt.description ?? null) as string | null;
      const isPublic =
        vt.is_public === undefined || vt.is_public === null ? null : boolFromString(vt.is_public, true);
      if (name && name.trim().length === 0) throw new BadRequest('Volume type name can not be empty.');
      if (name === null && description === null && isPublic === null) {
        throw new BadRequest('Specify volume type name, description, is_public or a combination thereof.');
      }
      const old = await getVolumeType(db, ctx, id);
      if (name !== null) {
        const clash = await volumeTypeGetByName(db, name);
        if (clash && clash.id !== id) throw new VolumeTypeExists(name);
      }
      await db.transaction().execute(async (trx) => {
        await volumeTypeUpdate(trx, id, {
          ...(name !== null ? { name } : {}),
          ...(description !== null ? { description } : {}),
          ...(isPublic !== null ? { is_public: isPublic } : {}),
        });
        if (name && name !== old.name) await volumeTypeQuotaResourcesRename(trx, old.name, name);
      });
      const t = await getVolumeType(db, ctx, id);
      await notify(ctx, 'volume_type.update', t);
      return { volume_type: volumeTypeManageView(t) };
    });

    app.delete('/types/:id', async (req, reply) => {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:type_delete');
      const t = await getVolumeType(db, ctx, (req.params as { id: string }).id);
      await destroyType(db, cfg.default_volume_type, t);
      await notify(ctx, 'volume_type.delete', t);
      return reply.code(202).send();
    });
  };
}
