/**
 * `/group_snapshots` (Cinder's `api/v3/group_snapshots.py`, 3.14+): a snapshot of every volume of
 * a group at once — list (paginated and filtered from 3.29), show, create, delete, and the
 * `reset_status` action (3.19+, admin).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { queryOf, state } from '../request.js';
import { GroupSnapshotNotFound, InvalidGroupSnapshotStatus, ItemNotFound } from '../../common/errors.js';
import { boolFromString, pythonRepr } from '../../common/strutils.js';
import {
  GROUP_SNAPSHOT_COLUMNS,
  GroupMarkerNotFound,
  type GroupSnapshotRecord,
} from '../../db/api/groups.js';
import { GroupAPI } from '../../group/api.js';
import { validateCreateGroupSnapshot, validateResetGroupSnapshotStatus } from '../schemas/groups.js';
import { collectionLinks, type ListParams } from '../common/pagination.js';
import { groupSnapshotDetailView, groupSnapshotSummaryView } from '../views/groups.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { rejectInvalidFilters } from './query-params.js';
import { noSuchAction } from './actions.js';

type Body = Record<string, unknown>;

/** `fields.GroupSnapshotStatus.ALL`, in Cinder's order. */
const GROUP_SNAPSHOT_STATUSES = [
  'error',
  'available',
  'creating',
  'deleting',
  'deleted',
  'updating',
  'error_deleting',
];

/** Cinder's `group_snapshot_status` format check, with its texts. */
function checkStatus(status: string): void {
  if (status.trim().length === 0) throw new InvalidGroupSnapshotStatus("The 'status' can not be empty.");
  if (!GROUP_SNAPSHOT_STATUSES.includes(status.toLowerCase()))
    throw new InvalidGroupSnapshotStatus(
      `Group snapshot status: ${status} is invalid, valid statuses are: (${GROUP_SNAPSHOT_STATUSES.map((s) => pythonRepr(s)).join(', ')}).`,
    );
}

/** Filters a non-admin may use from 3.31 (`resource_filters.json`, `group_snapshot`). */
const USER_FILTERS = ['name', 'status', 'group_id'];

/** Route group for `/group_snapshots`. */
export function groupSnapshotRoutes(deps: ApiDeps) {
  const cfg = deps.core.config.DEFAULT;
  const api = new GroupAPI(deps.core, deps.volumes);

  const gate = (req: FastifyRequest, since = '3.14') => {
    const s = state(req);
    if (!s.version.gte(since)) throw new ItemNotFound();
    return s;
  };

  async function list(req: FastifyRequest, isDetail: boolean) {
    const { ctx, version, links } = gate(req);
    const query = queryOf(req);
    // NOTE: before 3.29 Cinder ignores pagination, sorting and filters here altogether.
    let params: ListParams | null = null;
    let filters: Record<string, string> = {};
    if (version.gte('3.29')) {
      params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(GROUP_SNAPSHOT_COLUMNS));
      filters = query;
    }
    if (version.gte('3.31')) rejectInvalidFilters(filters, USER_FILTERS, !ctx.isAdmin);
    const allTenants = 'all_tenants' in filters && boolFromString(filters.all_tenants);
    delete filters.all_tenants;
    const unknown = Object.keys(filters).some(
      (k) => !(GROUP_SNAPSHOT_COLUMNS as readonly string[]).includes(k),
    );
    let items: GroupSnapshotRecord[] = [];
    if (!unknown) {
      try {
        items = await api.getAllGroupSnapshots(ctx, { allTenants, columns: filters }, params ?? {});
      } catch (e) {
        if (e instanceof GroupMarkerNotFound) throw new GroupSnapshotNotFound(e.marker);
        throw e;
      }
    }
    const body: Record<string, unknown> = {
      group_snapshots: items.map((s) => {
        if (isDetail) return groupSnapshotDetailView(ctx, version, s);
        const { group_type_id: _omit, ...summary } = groupSnapshotSummaryView(s);
        return summary;
      }),
    };
    const next = params && collectionLinks(items, params, `${links.baseUrl}${req.url}`, 'group_snapshots');
    if (next) body.group_snapshot_links = next;
    return body;
  }

  return async (app: FastifyInstance) => {
    app.get('/group_snapshots', (req) => list(req, false));
    app.get('/group_snapshots/detail', (req) => list(req, true));

    app.get('/group_snapshots/:id', async (req) => {
      const { ctx, version } = gate(req);
      const gs = await api.getGroupSnapshot(ctx, (req.params as { id: string }).id);
      return { group_snapshot: groupSnapshotDetailView(ctx, version, gs) };
    });

    app.post('/group_snapshots', async (req, reply) => {
      const { ctx } = gate(req);
      validateCreateGroupSnapshot(req.body);
      const gs = (req.body as Body).group_snapshot as Body;
      const group = await api.get(ctx, gs.group_id as string);
      const created = await api.createGroupSnapshot(
        ctx,
        group,
        (gs.name ?? null) as string | null,
        (gs.description ?? null) as string | null,
      );
      return reply.code(202).send({ group_snapshot: groupSnapshotSummaryView(created) });
    });

    app.delete('/group_snapshots/:id', async (req, reply) => {
      const { ctx } = gate(req);
      const gs = await api.getGroupSnapshot(ctx, (req.params as { id: string }).id);
      await api.deleteGroupSnapshot(ctx, gs);
      return reply.code(202).send();
    });

    app.post('/group_snapshots/:id/action', async (req, reply) => {
      const { ctx } = gate(req);
      const body = req.body as Body;
      const name = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
      if (name !== 'reset_status') throw noSuchAction(name ?? 'None');
      gate(req, '3.19');
      validateResetGroupSnapshotStatus(body);
      const status = (body.reset_status as { status: string }).status;
      checkStatus(status);
      const gs = await api.getGroupSnapshot(ctx, (req.params as { id: string }).id);
      await api.resetGroupSnapshotStatus(ctx, gs, status.toLowerCase());
      return reply.code(202).send();
    });
  };
}
