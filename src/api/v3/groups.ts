/**
 * `/groups` (Cinder's `api/v3/groups.py`, 3.13+): generic volume groups — list, show, create,
 * create from a group snapshot or another group (`POST /groups/action`, 3.14+), update (name,
 * description, volumes), and the actions `delete`, `reset_status` (3.20+) and the replication ones
 * (3.38+; no Kindling backend replicates).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { queryOf, state } from '../request.js';
import { BadRequest, GroupNotFound, InvalidGroupStatus, ItemNotFound } from '../../common/errors.js';
import { boolFromString, pythonRepr } from '../../common/strutils.js';
import { GROUP_COLUMNS, GroupMarkerNotFound, type GroupRecord } from '../../db/api/groups.js';
import { GroupAPI } from '../../group/api.js';
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
import { getBoolParam, rejectInvalidFilters } from './query-params.js';
import { noSuchAction } from './actions.js';

type Body = Record<string, unknown>;

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

/** `name`/`description` as Cinder keeps them: stripped when given. */
const stripped = (v: unknown) => (typeof v === 'string' && v ? v.trim() : ((v ?? null) as string | null));

/** Route group for `/groups`. */
export function groupRoutes(deps: ApiDeps) {
  const cfg = deps.core.config.DEFAULT;
  const api = new GroupAPI(deps.core, deps.volumes);

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
    if (version.gte('3.31')) rejectInvalidFilters(query, ['name'], !ctx.isAdmin);
    const allTenants = 'all_tenants' in query && boolFromString(query.all_tenants);
    delete query.all_tenants;
    // NOTE: as Cinder's db layer, a filter naming no column of the model matches nothing.
    const unknown = Object.keys(query).some((k) => !(GROUP_COLUMNS as readonly string[]).includes(k));
    let groups: GroupRecord[] = [];
    if (!unknown) {
      try {
        groups = await api.getAll(ctx, { allTenants, columns: query }, params);
      } catch (e) {
        if (e instanceof GroupMarkerNotFound) throw new GroupNotFound(e.marker);
        throw e;
      }
    }
    const items = isDetail
      ? await Promise.all(groups.map((g) => detail(req, g)))
      : groups.map(groupSummaryView);
    const body: Record<string, unknown> = { groups: items };
    const next = collectionLinks(groups, params, `${links.baseUrl}${req.url}`, 'groups');
    if (next) body.group_links = next;
    return body;
  }

  type Action = { since: string; run(req: FastifyRequest, id: string, body: Body): Promise<void> };
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
        validateDeleteGroup(body);
        const { ctx } = state(req);
        const args = body.delete as Body;
        const group = await api.get(ctx, id);
        await api.delete(ctx, group, boolFromString(args['delete-volumes'] ?? false));
      },
    },
    reset_status: {
      since: '3.20',
      async run(req, id, body) {
        validateResetGroupStatus(body);
        const { ctx } = state(req);
        const status = (body.reset_status as { status: string }).status;
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
    app.get('/groups', (req) => list(req, false));
    app.get('/groups/detail', (req) => list(req, true));

    app.get('/groups/:id', async (req) => {
      const { ctx } = gate(req);
      return { group: await detail(req, await api.get(ctx, (req.params as { id: string }).id)) };
    });

    app.post('/groups', async (req, reply) => {
      const { ctx } = gate(req);
      validateCreateGroup(req.body);
      const g = (req.body as Body).group as Body;
      const groupType = (g.group_type as string).trim();
      if (!groupType) throw new BadRequest("The 'group_type' can not be None.");
      const created = await api.create(ctx, {
        name: stripped(g.name),
        description: stripped(g.description),
        groupType,
        volumeTypes: g.volume_types as string[],
        availabilityZone: (g.availability_zone ?? null) as string | null,
      });
      return reply.code(202).send({ group: groupSummaryView(created) });
    });

    app.post('/groups/action', async (req, reply) => {
      const { ctx } = gate(req, '3.14');
      const body = req.body as Body;
      if (!body || typeof body !== 'object' || !('create-from-src' in body)) throw new ItemNotFound();
      validateCreateGroupFromSource(body);
      const src = body['create-from-src'] as Body;
      const created = await api.createFromSrc(ctx, {
        name: stripped(src.name),
        description: stripped(src.description),
        groupSnapshotId: (src.group_snapshot_id ?? null) as string | null,
        sourceGroupId: (src.source_group_id ?? null) as string | null,
      });
      return reply.code(202).send({ group: groupSummaryView(created) });
    });

    app.put('/groups/:id', async (req, reply) => {
      const { ctx } = gate(req);
      validateUpdateGroup(req.body);
      const g = (req.body as Body).group as Body;
      const group = await api.get(ctx, (req.params as { id: string }).id);
      await api.update(ctx, group, {
        name: stripped(g.name),
        description: stripped(g.description),
        addVolumes: (g.add_volumes ?? null) as string | null,
        removeVolumes: (g.remove_volumes ?? null) as string | null,
      });
      return reply.code(202).send();
    });

    app.post('/groups/:id/action', async (req, reply) => {
      gate(req);
      const body = req.body as Body;
      const name = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
      const action = name ? ACTIONS[name] : undefined;
      if (!action) throw noSuchAction(name ?? 'None');
      if (!state(req).version.gte(action.since)) throw new ItemNotFound();
      await action.run(req, (req.params as { id: string }).id, body);
      return reply.code(202).send();
    });
  };
}
