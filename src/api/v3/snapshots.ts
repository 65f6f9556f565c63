/**
 * `/snapshots` (Cinder's `api/v3/snapshots.py` SnapshotsController with the extended snapshot
 * attributes): list, detail, show, create, update, delete. Metadata routes are in
 * `snapshots-metadata.ts`, actions in `snapshots-actions.ts`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { queryOf, state } from '../request.js';
import { isAllowed } from '../../auth/policy.js';
import { BadRequest, SnapshotNotFound } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import { MarkerNotFound } from '../../db/api/volumes.js';
import { SnapshotAPI } from '../../volume/snapshot-api.js';
import { collectionLinks } from '../common/pagination.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/snapshots.js';
import { snapshotDetailView, snapshotSummaryView } from '../views/snapshots.js';
import { takeModelListParams } from './list-params.js';
import { getBoolParam } from './query-params.js';
import { snapshotFiltersFromQuery, snapshotSortKeys } from './snapshots-filters.js';

const validateCreate = compileSchema(schemas.createSnapshot);
const validateUpdate = compileSchema(schemas.updateSnapshot);

type Body = Record<string, unknown>;

/** Cinder's text for `force=false` from 3.66, where snapshots of in-use volumes need no flag. */
const SNAPSHOT_IN_USE_FLAG_MSG =
  "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.";

/** `validate_name_and_description(check_length=False)`: strings are trimmed, nothing else. */
function stripNames(b: Body): void {
  for (const k of ['name', 'description', 'display_name', 'display_description'])
    if (typeof b[k] === 'string') b[k] = b[k].trim();
}

/** The snapshot API the snapshot routes share (one per route registration). */
export function snapshotApiOf(deps: ApiDeps): SnapshotAPI {
  return new SnapshotAPI(deps.core);
}

export function snapshotRoutes(deps: ApiDeps) {
  const api = snapshotApiOf(deps);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;

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
    const filters = snapshotFiltersFromQuery(query, s.ctx, s.version);
    let rows: Awaited<ReturnType<typeof api.getAll>> = [];
    if (filters) {
      try {
        rows = await api.getAll(s.ctx, filters, params);
      } catch (e) {
        if (e instanceof MarkerNotFound) throw new SnapshotNotFound(e.marker);
        throw e;
      }
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
    app.get('/snapshots', (req) => list(req, false));
    app.get('/snapshots/detail', (req) => list(req, true));

    app.get('/snapshots/:id', async (req) => {
      const s = state(req);
      const snap = await api.get(s.ctx, (req.params as { id: string }).id);
      return { snapshot: snapshotDetailView(snap, { version: s.version, extended: extendedFor(req) }) };
    });

    app.post('/snapshots', async (req, reply) => {
      const s = state(req);
      const body = (req.body ?? null) as Body | null;
      validateCreate(body);
      const snap = { ...(body!.snapshot as Body) };
      const volumeId = snap.volume_id as string | null;
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
        name: (name ?? null) as string | null,
        description: (snap.description ?? null) as string | null,
        metadata: (snap.metadata ?? null) as Record<string, string> | null,
        force,
        allowInUse,
      });
      return reply
        .code(202)
        .send({ snapshot: snapshotDetailView(created, { version: s.version, extended: false }) });
    });

    app.put('/snapshots/:id', async (req) => {
      const s = state(req);
      const body = (req.body ?? null) as Body | null;
      validateUpdate(body);
      const upd = { ...(body!.snapshot as Body) };
      stripNames(upd);
      const fields: { display_name?: string | null; display_description?: string | null } = {};
      if ('display_name' in upd) fields.display_name = upd.display_name as string | null;
      if ('name' in upd) fields.display_name = upd.name as string | null;
      if ('display_description' in upd) fields.display_description = upd.display_description as string | null;
      if ('description' in upd) fields.display_description = upd.description as string | null;
      const snap = await api.get(s.ctx, (req.params as { id: string }).id);
      const updated = await api.update(s.ctx, snap, fields);
      return { snapshot: snapshotDetailView(updated, { version: s.version, extended: false }) };
    });

    app.delete('/snapshots/:id', async (req, reply) => {
      const s = state(req);
      const snap = await api.get(s.ctx, (req.params as { id: string }).id);
      await api.delete(s.ctx, snap);
      return reply.code(202).send();
    });
  };
}
