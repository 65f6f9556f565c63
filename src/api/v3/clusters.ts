/**
 * `/clusters` (3.7+; Cinder's `api/v3/clusters.py`): list, detail, show, and `PUT enable|disable`
 * of the active-active clusters of volume services. Replication fields (3.26+) in the views and as
 * list filters.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { InvalidInput, ItemNotFound, NotFound } from '../../common/errors.js';
import type { RequestContext } from '../../common/context.js';
import type { APIVersion } from '../microversion.js';
import { boolFromString } from '../../common/strutils.js';
import type { ClusterFilters } from '../../db/api/clusters.js';
import { findCluster, listClusters, setClusterDisabled } from '../../volume/clusters.js';
import { compileSchema } from '../validation/index.js';
import * as parameterTypes from '../schemas/parameter-types.js';
import { getBoolParam } from './query-params.js';
import { checkDisabledReason } from './services.js';
import { clusterDetail, clusterSummary } from '../views/clusters.js';

const VOLUME_BINARY = 'cinder-volume';
const REPLICATION_FIELDS = ['replication_status', 'frozen', 'active_backend_id'];
/** Cinder's `allowed_list_keys`. */
const ALLOWED_LIST_KEYS = [
  'name',
  'binary',
  'is_up',
  'disabled',
  'num_hosts',
  'num_down_hosts',
  ...REPLICATION_FIELDS,
];

/** A `PUT /clusters/enable` body. */
interface EnableClusterBody {
  name: string;
  binary?: string | null;
}

/** A `PUT /clusters/disable` body. */
interface DisableClusterBody extends EnableClusterBody {
  disabled_reason?: string | null;
}

/** Cinder's `clusters.disable_cluster` (its `disabled_reason` format checked apart). */
const validateDisable = compileSchema<DisableClusterBody>({
  type: 'object',
  properties: {
    name: parameterTypes.name,
    binary: parameterTypes.nullableString,
    disabled_reason: { type: ['string', 'null'] },
  },
  required: ['name'],
  additionalProperties: false,
});

/** Cinder's `clusters.enable_cluster`. */
const validateEnable = compileSchema<EnableClusterBody>({
  type: 'object',
  properties: { name: parameterTypes.name, binary: parameterTypes.nullableString },
  required: ['name'],
  additionalProperties: false,
});

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/clusters`. */
export function clusterRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const downTime = () => deps.core.config.DEFAULT.service_down_time;

  /** 3.7+ only: below it the routes do not exist. */
  function since(req: FastifyRequest): { ctx: RequestContext; version: APIVersion } {
    const s = state(req);
    if (!s.version.gte('3.7')) throw new ItemNotFound();
    return { ctx: s.ctx, version: s.version };
  }

  async function list(req: FastifyRequest, detail: boolean) {
    const { ctx, version } = since(req);
    authorize(ctx, 'clusters:get_all');
    const replication = version.gte('3.26');
    const query = queryOf(req);
    const allowed = replication
      ? ALLOWED_LIST_KEYS
      : ALLOWED_LIST_KEYS.filter((k) => !REPLICATION_FIELDS.includes(k));
    const invalid = Object.keys(query).filter((k) => !allowed.includes(k));
    if (invalid.length) throw new InvalidInput(`Invalid filter keys: ${invalid.join(', ')}`);
    const filters: ClusterFilters = {};
    if (query.name !== undefined) filters.name = query.name;
    if (query.binary !== undefined) filters.binary = query.binary;
    if (query.disabled !== undefined) filters.disabled = getBoolParam('disabled', query);
    if (query.is_up !== undefined) filters.is_up = getBoolParam('is_up', query);
    // NOTE: Cinder compares these in SQL; a value that is not a count matches nothing here.
    if (query.num_hosts !== undefined) filters.num_hosts = countFilter(query.num_hosts);
    if (query.num_down_hosts !== undefined) filters.num_down_hosts = countFilter(query.num_down_hosts);
    if (query.replication_status !== undefined) filters.replication_status = query.replication_status;
    if (query.active_backend_id !== undefined) filters.active_backend_id = query.active_backend_id;
    if (query.frozen !== undefined) filters.frozen = boolFromString(query.frozen);
    const clusters = await listClusters(db, filters, downTime());
    return {
      clusters: clusters.map((c) =>
        detail ? clusterDetail(c, replication) : clusterSummary(c, replication),
      ),
    };
  }

  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      const { ctx, version } = since(req);
      authorize(ctx, 'clusters:get');
      // NOTE: as Cinder's controller, whose `show(req, id, binary='cinder-volume')` is never
      // given the query string: `?binary=` (cinderclient sends it) does not change the lookup.
      const name = req.params.id;
      return {
        cluster: clusterDetail(await findCluster(db, name, VOLUME_BINARY, downTime()), version.gte('3.26')),
      };
    }

    async function update(req: FastifyRequest<ById>) {
      const { ctx, version } = since(req);
      authorize(ctx, 'clusters:update');
      const action = req.params.id;
      if (action !== 'enable' && action !== 'disable') throw new NotFound('Unknown action');
      let body: EnableClusterBody;
      let reason: string | null = null;
      if (action === 'disable') {
        const disable = validateDisable(req.body);
        checkDisabledReason(disable);
        const given = disable.disabled_reason;
        reason = given ? given.trim() : (given ?? null);
        body = disable;
      } else {
        body = validateEnable(req.body);
      }
      const binary = body.binary === undefined ? VOLUME_BINARY : body.binary;
      const cluster = await findCluster(db, body.name, binary, downTime());
      const disabled = action === 'disable' ? 1 : 0;
      await setClusterDisabled(db, cluster.id, disabled, reason);
      const view = clusterSummary({ ...cluster, disabled }, version.gte('3.26'));
      return { cluster: { ...view, disabled_reason: reason } };
    }

    app.get('/clusters', (req) => list(req, false));
    app.get('/clusters/detail', (req) => list(req, true));
    app.get<ById>('/clusters/:id', show);
    app.put<ById>('/clusters/:id', update);
    // NOTE: Cinder's resource has no create or delete: those answer 404.
  };
}

/** A count filter's value: a non-negative integer, or -1 (matches nothing) for anything else. */
function countFilter(value: string): number {
  return /^\s*[0-9]+\s*$/.test(value) ? Number(value) : -1;
}
