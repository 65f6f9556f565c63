/**
 * `/snapshots` (Cinder's `api/v3/snapshots.py` SnapshotsController with the extended snapshot
 * attributes): list, detail, show, create, update, delete. Metadata routes are in
 * `snapshots-metadata.ts`, actions in `snapshots-actions.ts`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { isAllowed } from '../../auth/policy.js';
import { BadRequest } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import { SnapshotAPI } from '../../volume/snapshot-api.js';
import { collectionLinks } from '../common/pagination.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/snapshots.js';
import { snapshotDetailView, snapshotSummaryView } from '../views/snapshots.js';
import { takeModelListParams } from './list-params.js';
import { getBoolParam } from './query-params.js';
import { snapshotFiltersFromQuery, snapshotSortKeys } from './snapshots-filters.js';
import { resourceFilters } from '../resource-filters.js';

const validateCreate = compileSchema<schemas.CreateSnapshotBody>(schemas.createSnapshot);
const validateUpdate = compileSchema<schemas.UpdateSnapshotBody>(schemas.updateSnapshot);

/** The name and description fields a snapshot body may carry. */
interface NameFields {
  name?: string | null;
  description?: string | null;
  display_name?: string | null;
  display_description?: string | null;
}

/** Cinder's text for `force=false` from 3.66, where snapshots of in-use volumes need no flag. */
const SNAPSHOT_IN_USE_FLAG_MSG =
  "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.";

/** `validate_name_and_description(check_length=False)`: strings are trimmed, nothing else. */
function stripNames(b: NameFields): void {
  for (const k of ['name', 'description', 'display_name', 'display_description'] as const) {
    const value = b[k];
    if (typeof value === 'string') b[k] = value.trim();
  }
}

/** The snapshot API the snapshot routes share (one per route registration). */
export function snapshotApiOf(deps: ApiDeps): SnapshotAPI {
  return new SnapshotAPI(deps.core);
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

export function snapshotRoutes(deps: ApiDeps) {
  const api = snapshotApiOf(deps);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

  /** Whether the caller sees `os-extended-snapshot-attributes:*` (Cinder's soft policy check). */
  const extendedFor = (req: FastifyRequest) =>
    isAllowed(state(req).ctx, 'volume_extension:extended_snapshot_attributes');

  async function list(req: FastifyRequest, detail: boolean) {
    const s = state(req);
    const query = queryOf(req);
    const params = takeModelListParams(query, maxLimit, snapshotSortKeys(s.version));
    let withCount = false;
    if (s.version.gte('3.45') && 'with_count' in query) {
      withCount = getBoolParam('with_count', query);
      delete query.with_count;
    }
    const filters = snapshotFiltersFromQuery(query, s.ctx, s.version, filtersFile);
    let rows: Awaited<ReturnType<typeof api.getAll>> = [];
    if (filters) {
      rows = await api.getAll(s.ctx, filters, params);
    }
    const extended = detail && extendedFor(req);
    const body: Record<string, unknown> = {
      snapshots: rows.map((r) =>
        detail ? snapshotDetailView(r, { version: s.version, extended }) : snapshotSummaryView(r),
      ),
    };
    const links = collectionLinks(rows, params, `${s.links.baseUrl}${req.url}`, 'snapshots');
    if (links) body.snapshots_links = links;
    if (withCount) body.count = filters ? await api.count(s.ctx, filters) : 0;
    return body;
  }

  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      const s = state(req);
      const snap = await api.get(s.ctx, req.params.id);
      return { snapshot: snapshotDetailView(snap, { version: s.version, extended: extendedFor(req) }) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      const s = state(req);
      const snap = { ...validateCreate(req.body ?? null).snapshot };
      const volumeId = snap.volume_id;
      const volume = await deps.volumes.get(s.ctx, volumeId ?? 'None');
      let force = false;
      let allowInUse = false;
      if (snap.force !== undefined && snap.force !== null) {
        force = boolFromString(snap.force, true);
        if (s.version.gte('3.66') && !force) throw new BadRequest(SNAPSHOT_IN_USE_FLAG_MSG);
      }
      if (!force && s.version.gte('3.66')) allowInUse = true;
      stripNames(snap);
      const name = 'name' in snap ? snap.name : snap.display_name;
      const created = await api.create(s.ctx, volume, {
        name: name ?? null,
        description: snap.description ?? null,
        metadata: snap.metadata ?? null,
        force,
        allowInUse,
      });
      return reply
        .code(202)
        .send({ snapshot: snapshotDetailView(created, { version: s.version, extended: false }) });
    }

    async function update(req: FastifyRequest<ById>) {
      const s = state(req);
      const upd = { ...validateUpdate(req.body ?? null).snapshot };
      stripNames(upd);
      const fields: { display_name?: string | null; display_description?: string | null } = {};
      if ('display_name' in upd) fields.display_name = upd.display_name;
      if ('name' in upd) fields.display_name = upd.name;
      if ('display_description' in upd) fields.display_description = upd.display_description;
      if ('description' in upd) fields.display_description = upd.description;
      const snap = await api.get(s.ctx, req.params.id);
      const updated = await api.update(s.ctx, snap, fields);
      return { snapshot: snapshotDetailView(updated, { version: s.version, extended: false }) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const s = state(req);
      const snap = await api.get(s.ctx, req.params.id);
      await api.delete(s.ctx, snap);
      return reply.code(202).send();
    }

    app.get('/snapshots', (req) => list(req, false));
    app.get('/snapshots/detail', (req) => list(req, true));
    app.get<ById>('/snapshots/:id', show);
    app.post('/snapshots', create);
    app.put<ById>('/snapshots/:id', update);
    app.delete<ById>('/snapshots/:id', destroy);
  };
}
