/**
 * `/attachments` (3.27+; Cinder's `api/v3/attachments.py`): create (reserve, and connect when a
 * connector is given), show, list (summary and detail, filtered, sorted, paged), update (connect),
 * delete (disconnect) and the `os-complete` action (3.44+).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import {
  CinderError,
  Invalid,
  ItemNotFound,
  NotAuthorized,
  ServerErrorExplained,
} from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { AttachmentListFilters, AttachmentRecord } from '../../db/api/attachments.js';
import type { ActionDeps } from '../../volume/actions/common.js';
import {
  ATTACHMENT_COLUMNS,
  attachmentCompleteApi,
  attachmentCreateApi,
  attachmentDeleteApi,
  attachmentUpdateApi,
  getAttachment,
  listAttachments,
} from '../../volume/attachments/api.js';
import { VolumeRPCAPI } from '../../volume/rpcapi.js';
import {
  validateCreate,
  validateCreateV354,
  validateUpdate,
  type CreateAttachmentV354Body,
} from '../schemas/attachments.js';
import { attachmentDetail, attachmentSummary } from '../views/attachments.js';
import { collectionLinks } from '../common/pagination.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { rejectInvalidFilters, resourceFilters } from '../resource-filters.js';
import { noSuchAction } from './actions.js';

/** What a non-admin may filter on before 3.31 (Cinder's `allowed_filters`); from 3.31 the resource
 * filters file's `attachment` entry decides. */
const LEGACY_USER_FILTERS = ['volume_id', 'status', 'instance_id', 'attach_status'];

/**
 * Query filters → columns. `instance_id` is `instance_uuid`; `status` is the attachment's status
 * (Cinder matches it against a column that does not exist and lists nothing). Null when a key
 * names no column (an empty list, as `is_valid_model_filters`).
 */
function columnFilters(
  query: Record<string, string>,
): Pick<AttachmentListFilters, 'columns' | 'like'> | null {
  const columns: NonNullable<AttachmentListFilters['columns']> = {};
  const like: NonNullable<AttachmentListFilters['like']> = {};
  for (const [key, value] of Object.entries(query)) {
    const isLike = key.endsWith('~');
    let col = isLike ? key.slice(0, -1) : key;
    if (col === 'instance_id') col = 'instance_uuid';
    if (col === 'status') col = 'attach_status';
    if (!(ATTACHMENT_COLUMNS as readonly string[]).includes(col)) return null;
    const c = col as keyof typeof columns;
    if (isLike) like[c] = value;
    else columns[c] = col === 'deleted' ? (boolFromString(value) ? 1 : 0) : value;
  }
  return { columns, like };
}

/**
 * The controller's wrapping of `attachment_create`/`attachment_update` failures: policy and
 * invalid-volume errors as they are; any other Cinder error a 500 naming it. Kindling keeps every
 * 400-class error a 400 (Cinder turns a bad connector into a 500).
 */
function wrapped(prefix: string, generic: string) {
  return (e: unknown): never => {
    if (e instanceof NotAuthorized || e instanceof Invalid || (e instanceof CinderError && e.code === 404))
      throw e;
    if (e instanceof CinderError) throw new ServerErrorExplained(`${prefix}(${e.message}).`);
    throw new ServerErrorExplained(generic);
  };
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/attachments`. */
export function attachmentRoutes(deps: ApiDeps) {
  const d: ActionDeps = {
    core: deps.core,
    volumes: deps.volumes,
    rpc: new VolumeRPCAPI(deps.core.transport),
  };
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

  /** 3.27+ only: below it the routes do not exist. */
  function since(req: FastifyRequest, version = '3.27'): void {
    if (!state(req).version.gte(version)) throw new ItemNotFound();
  }

  async function list(req: FastifyRequest, detail: boolean) {
    since(req);
    const { ctx, version, links } = state(req);
    const query = queryOf(req);
    const params = takeModelListParams(query, maxLimit, columnSortKeys(ATTACHMENT_COLUMNS));
    if (version.gte('3.31')) {
      rejectInvalidFilters(ctx, query, 'attachment', version.gte('3.34'), filtersFile);
    } else if (!ctx.isAdmin) {
      // Cinder's `remove_invalid_filter_options`: a non-admin's other keys are dropped.
      for (const k of Object.keys(query)) if (!LEGACY_USER_FILTERS.includes(k)) delete query[k];
    }
    const allTenants = ctx.isAdmin && 'all_tenants' in query;
    delete query.all_tenants;
    const cols = columnFilters(query);
    let rows: AttachmentRecord[] = [];
    if (cols) {
      rows = await listAttachments(
        d,
        { projectId: allTenants ? null : ctx.projectId, ...cols },
        { marker: params.marker, limit: params.limit, offset: params.offset, sort: params.sort },
      );
    }
    const body: Record<string, unknown> = {
      attachments: rows.map(detail ? attachmentDetail : attachmentSummary),
    };
    const next = collectionLinks(rows, params, `${links.baseUrl}${req.url}`, 'attachments');
    if (next) body.attachments_links = next;
    return body;
  }

  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      since(req);
      const a = await getAttachment(d, state(req).ctx, req.params.id);
      return { attachment: attachmentDetail(a) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      since(req);
      const { ctx, version } = state(req);
      const withMode = version.gte('3.54');
      // NOTE: a body valid before 3.54 has no `mode`, so it is a 3.54 body too.
      const validated: CreateAttachmentV354Body = (withMode ? validateCreateV354 : validateCreate)(req.body);
      const body = validated.attachment;
      const v = await deps.volumes.get(ctx, body.volume_uuid);
      const created = await attachmentCreateApi(
        d,
        ctx,
        v,
        body.instance_uuid ?? null,
        // NOTE: `{}` (`cinder attachment-create` without --connect) is no connector, as in Cinder.
        body.connector && Object.keys(body.connector).length > 0 ? body.connector : null,
        withMode ? (body.mode ?? 'null') : 'null',
      ).catch(wrapped('Unable to create attachment for volume ', 'Unable to create attachment for volume.'));
      return reply.code(200).send({ attachment: attachmentDetail(created) });
    }

    async function update(req: FastifyRequest<ById>) {
      since(req);
      const { ctx } = state(req);
      const { connector } = validateUpdate(req.body).attachment;
      const a = await getAttachment(d, ctx, req.params.id);
      const updated = await attachmentUpdateApi(d, ctx, a, connector).catch(
        wrapped('Unable to update attachment.', 'Unable to update the attachment.'),
      );
      return { attachment: attachmentDetail(updated) };
    }

    async function destroy(req: FastifyRequest<ById>) {
      since(req);
      const { ctx } = state(req);
      const a = await getAttachment(d, ctx, req.params.id);
      const left = await attachmentDeleteApi(d, ctx, a);
      return { attachments: left.map(attachmentSummary) };
    }

    async function dispatch(req: FastifyRequest<ById>, reply: FastifyReply) {
      since(req);
      const body = req.body;
      const action =
        body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
      if (action !== 'os-complete') throw noSuchAction(String(action ?? 'None'));
      since(req, '3.44');
      const { ctx } = state(req);
      const a = await getAttachment(d, ctx, req.params.id);
      await attachmentCompleteApi(d, ctx, a);
      return reply.code(204).send();
    }

    app.get('/attachments', async (req) => list(req, false));
    app.get('/attachments/detail', async (req) => list(req, true));
    app.get<ById>('/attachments/:id', show);
    app.post('/attachments', create);
    app.put<ById>('/attachments/:id', update);
    app.delete<ById>('/attachments/:id', destroy);
    app.post<ById>('/attachments/:id/action', dispatch);
  };
}
