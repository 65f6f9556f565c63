/**
 * `/group_snapshots` (Cinder's `api/v3/group_snapshots.py`, 3.14+): a snapshot of every volume of
 * a group at once — list (paginated and filtered from 3.29), show, create, delete, and the
 * `reset_status` action (3.19+, admin).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { BadRequest, InvalidGroupSnapshotStatus, ItemNotFound } from '../../common/errors.js';
import { boolFromString, pythonRepr } from '../../common/strutils.js';
import type { GroupSnapshotRecord } from '../../db/api/groups.js';
import { GroupAPI } from '../../group/api.js';
import { GROUP_SNAPSHOT_COLUMNS, GroupSnapshotAPI } from '../../group/snapshot-api.js';
import { getDefaultCgsnapshotType, isDefaultCgsnapshotType } from '../../volume/cgsnapshot-type.js';
import type { Db } from '../../db/api/common.js';
import { validateCreateGroupSnapshot, validateResetGroupSnapshotStatus } from '../schemas/groups.js';
import { collectionLinks, type ListParams } from '../common/pagination.js';
import { groupSnapshotDetailView, groupSnapshotSummaryView } from '../views/groups.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { rejectInvalidFilters, resourceFilters } from '../resource-filters.js';
import { noSuchAction } from './actions.js';

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

/** Cinder's `GroupSnapshotsController._check_default_cgsnapshot_type`. */
async function checkNotCg(db: Db, groupTypeId: string | null): Promise<void> {
  if (await isDefaultCgsnapshotType(db, groupTypeId))
    throw new BadRequest(
      `Group_type ${groupTypeId} is reserved for migrating CGs to groups. Migrated group snapshots can only be operated by CG snapshot APIs.`,
    );
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/group_snapshots`. */
export function groupSnapshotRoutes(deps: ApiDeps) {
  const cfg = deps.core.config.DEFAULT;
  const api = new GroupAPI(deps.core, deps.volumes);
  const snapshots = new GroupSnapshotAPI(deps.core);
  const db = deps.core.dbh.db;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

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
    if (version.gte('3.31'))
      rejectInvalidFilters(ctx, filters, 'group_snapshot', version.gte('3.34'), filtersFile);
    const allTenants = 'all_tenants' in filters && boolFromString(filters.all_tenants);
    delete filters.all_tenants;
    const unknown = Object.keys(filters).some(
      (k) => !(GROUP_SNAPSHOT_COLUMNS as readonly string[]).includes(k),
    );
    let items: GroupSnapshotRecord[] = [];
    if (!unknown) {
      items = await snapshots.getAllGroupSnapshots(ctx, { allTenants, columns: filters }, params ?? {});
    }
    // Only group snapshots not of the consistency group type (Cinder skips those after the query).
    const cg = await getDefaultCgsnapshotType(db);
    items = items.filter((gs) => gs.group_type_id !== cg?.id);
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
    async function show(req: FastifyRequest<ById>) {
      const { ctx, version } = gate(req);
      const gs = await snapshots.getGroupSnapshot(ctx, req.params.id);
      await checkNotCg(db, gs.group_type_id);
      return { group_snapshot: groupSnapshotDetailView(ctx, version, gs) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      const { ctx } = gate(req);
      const gs = validateCreateGroupSnapshot(req.body).group_snapshot;
      const group = await api.get(ctx, gs.group_id);
      await checkNotCg(db, group.group_type_id);
      const created = await snapshots.createGroupSnapshot(
        ctx,
        group,
        gs.name ?? null,
        gs.description ?? null,
      );
      return reply.code(202).send({ group_snapshot: groupSnapshotSummaryView(created) });
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = gate(req);
      const id = req.params.id;
      const gs = await snapshots.getGroupSnapshot(ctx, id);
      // NOTE: Cinder's delete turns its own refusal into its catch-all text.
      if (await isDefaultCgsnapshotType(db, gs.group_type_id))
        throw new BadRequest(`Error occurred when deleting group snapshot ${id}.`);
      await snapshots.deleteGroupSnapshot(ctx, gs);
      return reply.code(202).send();
    }

    async function action(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = gate(req);
      const body: unknown = req.body;
      const name = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
      if (name !== 'reset_status') throw noSuchAction(name ?? 'None');
      gate(req, '3.19');
      const { status } = validateResetGroupSnapshotStatus(body).reset_status;
      checkStatus(status);
      const gs = await snapshots.getGroupSnapshot(ctx, req.params.id);
      await snapshots.resetGroupSnapshotStatus(ctx, gs, status.toLowerCase());
      return reply.code(202).send();
    }

    app.get('/group_snapshots', (req) => list(req, false));
    app.get('/group_snapshots/detail', (req) => list(req, true));
    app.get<ById>('/group_snapshots/:id', show);
    app.post('/group_snapshots', create);
    app.delete<ById>('/group_snapshots/:id', destroy);
    app.post<ById>('/group_snapshots/:id/action', action);
  };
}
