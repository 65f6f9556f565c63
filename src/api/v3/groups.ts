/**
 * `/groups` (Cinder's `api/v3/groups.py`, 3.13+): generic volume groups — list, show, create,
 * create from a group snapshot or another group (`POST /groups/action`, 3.14+), update (name,
 * description, volumes), and the actions `delete`, `reset_status` (3.20+) and the replication ones
 * (3.38+; no Kindling backend replicates).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { BadRequest, InvalidGroupStatus, ItemNotFound } from '../../common/errors.js';
import { boolFromString, pythonRepr } from '../../common/strutils.js';
import type { GroupRecord } from '../../db/api/groups.js';
import { GROUP_COLUMNS, GroupAPI } from '../../group/api.js';
import { GroupSnapshotAPI } from '../../group/snapshot-api.js';
import { getDefaultCgsnapshotType, isDefaultCgsnapshotType } from '../../volume/cgsnapshot-type.js';
import type { Db } from '../../db/api/common.js';
import {
  validateCreateGroup,
  validateCreateGroupFromSource,
  validateDeleteGroup,
  validateDisableReplication,
  validateEnableReplication,
  validateFailoverReplication,
  validateListReplicationTargets,
  validateResetGroupStatus,
  validateUpdateGroup,
} from '../schemas/groups.js';
import { collectionLinks } from '../common/pagination.js';
import { groupDetailView, groupSummaryView } from '../views/groups.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { getBoolParam } from './query-params.js';
import { rejectInvalidFilters, resourceFilters } from '../resource-filters.js';
import { noSuchAction } from './actions.js';

/** Every group status (`fields.GroupStatus.ALL`), in Cinder's order. */
const GROUP_STATUSES = [
  'error',
  'available',
  'creating',
  'deleting',
  'deleted',
  'updating',
  'in-use',
  'error_deleting',
];
/** Cinder's `group_status` format accepts the group snapshot statuses (a quirk kept). */
const ACCEPTED_RESET_STATUSES = [
  'error',
  'available',
  'creating',
  'deleting',
  'deleted',
  'updating',
  'error_deleting',
];

/** Cinder's `group_status` format check, with its texts. */
function checkGroupStatus(status: string): void {
  if (status.trim().length === 0) throw new InvalidGroupStatus("The 'status' can not be empty.");
  if (!ACCEPTED_RESET_STATUSES.includes(status.toLowerCase()))
    throw new InvalidGroupStatus(
      `Group status: ${status} is invalid, valid status are: (${GROUP_STATUSES.map((s) => pythonRepr(s)).join(', ')}).`,
    );
}

/** Cinder's `GroupsController._check_default_cgsnapshot_type`. */
async function checkNotCg(db: Db, groupTypeId: string | null): Promise<void> {
  if (await isDefaultCgsnapshotType(db, groupTypeId))
    throw new BadRequest(
      `Group_type ${groupTypeId} is reserved for migrating CGs to groups. Migrated group can only be operated by CG APIs.`,
    );
}

/** `name`/`description` as Cinder keeps them: stripped when given. */
const stripped = (v: string | null | undefined) => (v ? v.trim() : (v ?? null));

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/groups`. */
export function groupRoutes(deps: ApiDeps) {
  const cfg = deps.core.config.DEFAULT;
  const api = new GroupAPI(deps.core, deps.volumes);
  const snapshots = new GroupSnapshotAPI(deps.core);
  const db = deps.core.dbh.db;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

  const gate = (req: FastifyRequest, since = '3.13') => {
    const s = state(req);
    if (!s.version.gte(since)) throw new ItemNotFound();
    return s;
  };

  async function detail(req: FastifyRequest, g: GroupRecord): Promise<Record<string, unknown>> {
    const { ctx, version } = state(req);
    const withVolumes = version.gte('3.25') && getBoolParam('list_volume', queryOf(req));
    const volumeIds = withVolumes ? (await api.groupVolumes(g.id)).map((v) => v.id) : null;
    return groupDetailView(ctx, version, g, volumeIds);
  }

  async function list(req: FastifyRequest, isDetail: boolean) {
    const { ctx, version, links } = gate(req);
    const query = queryOf(req);
    const params = takeModelListParams(query, cfg.osapi_max_limit, columnSortKeys(GROUP_COLUMNS));
    delete query.list_volume;
    if (version.gte('3.31')) rejectInvalidFilters(ctx, query, 'group', version.gte('3.34'), filtersFile);
    const allTenants = 'all_tenants' in query && boolFromString(query.all_tenants);
    delete query.all_tenants;
    // NOTE: as Cinder's db layer, a filter naming no column of the model matches nothing.
    const unknown = Object.keys(query).some((k) => !(GROUP_COLUMNS as readonly string[]).includes(k));
    let groups: GroupRecord[] = [];
    if (!unknown) {
      groups = await api.getAll(ctx, { allTenants, columns: query }, params);
    }
    // Only groups not of the consistency group type (Cinder skips those after the query).
    const cg = await getDefaultCgsnapshotType(db);
    groups = groups.filter((g) => g.group_type_id !== cg?.id);
    const items = isDetail
      ? await Promise.all(groups.map((g) => detail(req, g)))
      : groups.map(groupSummaryView);
    const body: Record<string, unknown> = { groups: items };
    const next = collectionLinks(groups, params, `${links.baseUrl}${req.url}`, 'groups');
    if (next) body.group_links = next;
    return body;
  }

  type Action = { since: string; run(req: FastifyRequest, id: string, body: unknown): Promise<void> };
  /** The 3.38 replication actions: validated, then refused or done by the group API. */
  const replicationAction = (
    name: Parameters<GroupAPI['replication']>[2],
    validate: (body: unknown) => void,
  ): Action => ({
    since: '3.38',
    async run(req, id, body) {
      validate(body);
      const { ctx } = state(req);
      await api.replication(ctx, await api.get(ctx, id), name);
    },
  });
  const ACTIONS: Record<string, Action> = {
    delete: {
      since: '3.13',
      async run(req, id, body) {
        const args = validateDeleteGroup(body).delete;
        const { ctx } = state(req);
        const group = await api.get(ctx, id);
        await checkNotCg(db, group.group_type_id);
        await api.delete(ctx, group, boolFromString(args['delete-volumes'] ?? false));
      },
    },
    reset_status: {
      since: '3.20',
      async run(req, id, body) {
        const { status } = validateResetGroupStatus(body).reset_status;
        const { ctx } = state(req);
        checkGroupStatus(status);
        const group = await api.get(ctx, id);
        await api.resetStatus(ctx, group, status.toLowerCase());
      },
    },
    enable_replication: replicationAction('enable_replication', validateEnableReplication),
    disable_replication: replicationAction('disable_replication', validateDisableReplication),
    failover_replication: replicationAction('failover_replication', validateFailoverReplication),
    list_replication_targets: replicationAction('list_replication_targets', validateListReplicationTargets),
  };

  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      const { ctx } = gate(req);
      const group = await api.get(ctx, req.params.id);
      await checkNotCg(db, group.group_type_id);
      return { group: await detail(req, group) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      const { ctx } = gate(req);
      const g = validateCreateGroup(req.body).group;
      const groupType = g.group_type.trim();
      if (!groupType) throw new BadRequest("The 'group_type' can not be None.");
      const cg = await getDefaultCgsnapshotType(db);
      if (cg && (groupType === cg.id || groupType === cg.name)) await checkNotCg(db, cg.id);
      const created = await api.create(ctx, {
        name: stripped(g.name),
        description: stripped(g.description),
        groupType,
        volumeTypes: g.volume_types,
        availabilityZone: g.availability_zone ?? null,
      });
      return reply.code(202).send({ group: groupSummaryView(created) });
    }

    async function createFromSrc(req: FastifyRequest, reply: FastifyReply) {
      const { ctx } = gate(req, '3.14');
      const body: unknown = req.body;
      if (!body || typeof body !== 'object' || !('create-from-src' in body)) throw new ItemNotFound();
      const src = validateCreateGroupFromSource(body)['create-from-src'];
      const groupSnapshotId = src.group_snapshot_id ?? null;
      const sourceGroupId = src.source_group_id ?? null;
      if (groupSnapshotId)
        await checkNotCg(db, (await snapshots.getGroupSnapshot(ctx, groupSnapshotId)).group_type_id);
      else if (sourceGroupId) await checkNotCg(db, (await api.get(ctx, sourceGroupId)).group_type_id);
      const created = await api.createFromSrc(ctx, {
        name: stripped(src.name),
        description: stripped(src.description),
        groupSnapshotId,
        sourceGroupId,
      });
      return reply.code(202).send({ group: groupSummaryView(created) });
    }

    async function update(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = gate(req);
      const g = validateUpdateGroup(req.body).group;
      const group = await api.get(ctx, req.params.id);
      await checkNotCg(db, group.group_type_id);
      await api.update(ctx, group, {
        name: stripped(g.name),
        description: stripped(g.description),
        addVolumes: g.add_volumes ?? null,
        removeVolumes: g.remove_volumes ?? null,
      });
      return reply.code(202).send();
    }

    async function dispatch(req: FastifyRequest<ById>, reply: FastifyReply) {
      gate(req);
      const body: unknown = req.body;
      const name = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
      const action = name && Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
      if (!action) throw noSuchAction(name ?? 'None');
      if (!state(req).version.gte(action.since)) throw new ItemNotFound();
      await action.run(req, req.params.id, body);
      return reply.code(202).send();
    }

    app.get('/groups', (req) => list(req, false));
    app.get('/groups/detail', (req) => list(req, true));
    app.get<ById>('/groups/:id', show);
    app.post('/groups', create);
    app.post('/groups/action', createFromSrc);
    app.put<ById>('/groups/:id', update);
    app.post<ById>('/groups/:id/action', dispatch);
  };
}
