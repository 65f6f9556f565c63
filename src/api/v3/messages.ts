/**
 * `/messages` (3.3+; Cinder's `api/v3/messages.py`): list, show, delete. Filters, sorting and
 * pagination apply from 3.5 on; below that the whole list is answered.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { ItemNotFound } from '../../common/errors.js';
import type { MessageListFilters } from '../../db/api/messages.js';
import type { MessagesTable } from '../../db/schema.js';
import { collectionLinks, type ListParams } from '../common/pagination.js';
import { messageView } from '../views/messages.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { rejectInvalidFilters, resourceFilters, type ResourceFiltersFile } from '../resource-filters.js';

/** Columns of `messages` a list may be filtered or sorted by. */
const MESSAGE_COLUMNS = [
  'id',
  'project_id',
  'request_id',
  'resource_type',
  'resource_uuid',
  'event_id',
  'message_level',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
  'expires_at',
] as const;

/**
 * Turns query filters into list filters. Keys naming no attribute of Cinder's message model give
 * an empty list (null), as Cinder's `is_valid_model_filters` does.
 */
function messageFilters(
  ctx: RequestContext,
  query: Record<string, string>,
  version: FastifyRequest['kindling']['version'],
  file: ResourceFiltersFile,
): MessageListFilters | null {
  if (version.gte('3.31')) {
    // The keys a non-admin may use: the resource filters file's `message` entry.
    rejectInvalidFilters(ctx, query, 'message', version.gte('3.34'), file);
    if (!ctx.isAdmin) delete query.all_tenants;
  }
  const f: MessageListFilters = {
    projectId: ctx.isAdmin ? null : ctx.projectId,
    columns: {},
    like: {},
    eventIdPatterns: [],
  };
  for (const [key, value] of Object.entries(query)) {
    const isLike = key.endsWith('~');
    const col = isLike ? key.replace(/~+$/, '') : key;
    if (col === 'action_id' || col === 'detail_id') {
      // NOTE: Kindling keeps both ids inside `event_id` (`VOLUME_<type>_<action>_<detail>`).
      f.eventIdPatterns!.push(col === 'action_id' ? `%_${value}____` : `%_${value}`);
    } else if ((MESSAGE_COLUMNS as readonly string[]).includes(col)) {
      (isLike ? f.like! : f.columns!)[col as keyof MessagesTable] = value;
    } else {
      return null;
    }
  }
  return f;
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/messages`. */
export function messageRoutes(deps: ApiDeps) {
  const messages = deps.core.messages;
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

  /** 3.3+ only: below it the routes do not exist. */
  function requireMessages(req: FastifyRequest): void {
    if (!state(req).version.gte('3.3')) throw new ItemNotFound();
  }

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest) {
      requireMessages(req);
      const { ctx, version, links } = state(req);
      authorize(ctx, 'message:get_all');
      let params: ListParams | null = null;
      let filters: MessageListFilters | null = { projectId: ctx.isAdmin ? null : ctx.projectId };
      if (version.gte('3.5')) {
        const query = queryOf(req);
        params = takeModelListParams(query, maxLimit, columnSortKeys(MESSAGE_COLUMNS));
        filters = messageFilters(ctx, query, version, filtersFile);
      }
      const rows = filters ? await messages.list(filters, params ?? {}) : [];
      const body: Record<string, unknown> = { messages: rows.map((m) => messageView(m, links)) };
      const next = collectionLinks(
        rows,
        params ?? { limit: maxLimit, limitGiven: false, marker: null, offset: null, sort: [] },
        `${links.baseUrl}${req.url}`,
        'messages',
      );
      if (next) body.messages_links = next;
      return body;
    }

    async function show(req: FastifyRequest<ById>) {
      requireMessages(req);
      const { ctx, links } = state(req);
      const m = await messages.get(ctx, req.params.id);
      authorize(ctx, 'message:get', m.project_id);
      return { message: messageView(m, links) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      requireMessages(req);
      const { ctx } = state(req);
      const m = await messages.get(ctx, req.params.id);
      authorize(ctx, 'message:delete', m.project_id);
      await messages.delete(m.id);
      return reply.code(204).send();
    }

    app.get('/messages', index);
    app.get<ById>('/messages/:id', show);
    app.delete<ById>('/messages/:id', destroy);
  };
}
