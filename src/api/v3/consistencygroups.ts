/**
 * The legacy consistency group APIs, as Cinder Zed still routes them (`api/v3/consistencygroups.py`
 * on `api/contrib/consistencygroups.py`, and `api/contrib/cgsnapshots.py`; no microversion bounds):
 * `/consistencygroups` and `/cgsnapshots` over the generic group API. A consistency group is a group
 * of the `default_cgsnapshot_type` group type; lists and shows answer any group (and any group
 * snapshot) of the caller, as Cinder's do. What a volume service then does with a consistency group
 * is in `src/volume/group-manager.ts` (no Kindling backend supports them: they end in `error`).
 *
 * Routes, as Cinder's mapper has them: the v3 router's resource (index, detail, show, create,
 * `PUT /{id}` with the 3.6 rules, `DELETE /{id}`, which needs a body as Cinder's method does) and the
 * contrib extension's (`POST /create_from_src`, `POST /{id}/delete`, `PUT /{id}/update` with the
 * pre-3.6 rules); `/cgsnapshots` index, detail, show, create, delete.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import {
  BadRequest,
  CinderError,
  GroupNotFound,
  GroupSnapshotNotFound,
  InvalidInput,
  InvalidGroupSnapshot,
  NotFound,
  PolicyNotAuthorized,
} from '../../common/errors.js';
import { boolFromString, pythonStr } from '../../common/strutils.js';
import type { GroupRecord } from '../../db/api/groups.js';
import { GROUP_COLUMNS, GroupAPI } from '../../group/api.js';
import { GroupSnapshotAPI } from '../../group/snapshot-api.js';
import { getDefaultCgsnapshotType, DEFAULT_CGSNAPSHOT_TYPE } from '../../volume/cgsnapshot-type.js';
import { collectionLinks, takeListParams } from '../common/pagination.js';
import { isObject, pyLen, pyStrip, pyTruthy, type JsonObject } from '../validation/python-values.js';
import {
  cgsnapshotDetailView,
  cgsnapshotSummaryView,
  consistencyGroupDetailView,
  consistencyGroupSummaryView,
} from '../views/consistencygroups.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';

type Body = JsonObject;

/** A body's entity once `validateNameAndDescription` has checked it. */
interface NamedEntity extends JsonObject {
  name?: string | null;
  description?: string | null;
  display_name?: string | null;
  display_description?: string | null;
}

/** webob's text for a 400 Cinder gives no reason for (a TypeError in the controller). */
const MALFORMED =
  'The server could not comply with the request since it is either malformed or otherwise incorrect.';

/**
 * `Controller.assert_valid_body`: `body[entity]` must be an object. A body that is no object but
 * still "contains" the entity (a list holding it, a string including it) fails as Cinder's does
 * when it indexes it: a plain 400.
 */
function assertValidBody(body: unknown, entity: string): Body {
  const missing = () => new BadRequest(`Missing required element '${entity}' in request body.`);
  if (!pyTruthy(body)) throw missing();
  if (typeof body === 'string' || Array.isArray(body)) {
    if (body.includes(entity)) throw new BadRequest(MALFORMED);
    throw missing();
  }
  if (!isObject(body)) throw new BadRequest(MALFORMED);
  const value = body[entity];
  if (value === undefined) throw missing();
  if (!isObject(value)) throw missing();
  return value;
}

/** `Controller.validate_name_and_description`: strings stripped, none longer than 255. */
function validateNameAndDescription(entity: Body): asserts entity is NamedEntity {
  for (const attr of ['name', 'description', 'display_name', 'display_description']) {
    let value = entity[attr];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') {
      value = pyStrip(value);
      entity[attr] = value;
    }
    if (typeof value !== 'string') throw new InvalidInput(`${attr} is not a string or unicode`);
    const n = pyLen(value);
    if (n > 255) throw new InvalidInput(`${attr} has ${n} characters, more than 255.`);
  }
}

/** A comma-separated list of ids as Cinder reads it, or a plain 400 when it is not a string. */
function csv(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new BadRequest(MALFORMED);
  return value;
}

const optString = (v: string | null | undefined) => (v === undefined ? null : v);

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/consistencygroups` and `/cgsnapshots`. */
export function consistencyGroupRoutes(deps: ApiDeps) {
  const cfg = deps.core.config.DEFAULT;
  const db = deps.core.dbh.db;
  const api = new GroupAPI(deps.core, deps.volumes);
  const snapshots = new GroupSnapshotAPI(deps.core);
  const id = (req: FastifyRequest<ById>) => req.params.id;

  async function list(req: FastifyRequest, detail: boolean) {
    const { ctx, links } = state(req);
    authorize(ctx, 'group:get_all');
    const filters = queryOf(req);
    const params = takeModelListParams(filters, cfg.osapi_max_limit, columnSortKeys(GROUP_COLUMNS));
    // NOTE: as Cinder's group API: an admin's all_tenants (whatever its value) lists every project;
    // anyone else's stays a filter, which names no column, so nothing matches.
    const allTenants = ctx.isAdmin && 'all_tenants' in filters;
    if (allTenants) delete filters.all_tenants;
    const unknown = Object.keys(filters).some((k) => !(GROUP_COLUMNS as readonly string[]).includes(k));
    let groups: GroupRecord[] = [];
    if (!unknown) {
      groups = await api.getAll(ctx, { allTenants, columns: filters }, params);
    }
    const body: Body = {
      consistencygroups: groups.map(detail ? consistencyGroupDetailView : consistencyGroupSummaryView),
    };
    const next = collectionLinks(groups, params, `${links.baseUrl}${req.url}`, 'consistencygroups');
    if (next) body.consistencygroup_links = next;
    return body;
  }

  /** `update`: the body, the group, then Cinder's check of what is to change (`v36`: 3.6 rules). */
  async function update(req: FastifyRequest<ById>, v36: boolean): Promise<void> {
    const { ctx, version } = state(req);
    // NOTE: without a body at all Cinder's method cannot be called (a plain 400); an empty one is
    // its own refusal.
    if (req.body === undefined) throw new BadRequest(MALFORMED);
    if (!pyTruthy(req.body)) throw new BadRequest('Missing request body.');
    const cg = assertValidBody(req.body, 'consistencygroup');
    const group = await api.get(ctx, id(req));
    authorize(ctx, 'group:update', group.project_id);
    validateNameAndDescription(cg);
    const name = optString(cg.name);
    const description = optString(cg.description);
    const addVolumes = cg.add_volumes;
    const removeVolumes = cg.remove_volumes;
    if (v36 && version.gte('3.6')) {
      if (name === null && description === null && !pyTruthy(addVolumes) && !pyTruthy(removeVolumes))
        throw new BadRequest(
          'Must specify one or more of the following keys to update: name, description, add_volumes, remove_volumes.',
        );
    } else if (!(
      pyTruthy(name) ||
      pyTruthy(description) ||
      pyTruthy(addVolumes) ||
      pyTruthy(removeVolumes)
    )) {
      throw new BadRequest(
        'Name, description, add_volumes, and remove_volumes can not be all empty in the request body.',
      );
    }
    await api.update(ctx, group, {
      name,
      description,
      addVolumes: csv(addVolumes),
      removeVolumes: csv(removeVolumes),
    });
  }

  /** `delete` (`POST /{id}/delete`, and `DELETE /{id}` when it has a body). */
  async function remove(req: FastifyRequest<ById>): Promise<void> {
    const { ctx } = state(req);
    // NOTE: Cinder's method takes a body: a request without one fails calling it.
    if (req.body === undefined) throw new BadRequest(MALFORMED);
    let force = false;
    if (pyTruthy(req.body)) {
      const cg = assertValidBody(req.body, 'consistencygroup');
      try {
        force = boolFromString(cg.force ?? false, true);
      } catch {
        // NOTE: Cinder's message names the default, not the value it could not read.
        throw new BadRequest("Invalid value 'False' for force.");
      }
    }
    const group = await api.get(ctx, id(req));
    authorize(ctx, 'group:delete', group.project_id);
    await api.delete(ctx, group, force);
  }

  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ById>) {
      const group = await api.get(state(req).ctx, id(req));
      return { consistencygroup: consistencyGroupDetailView(group) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      const { ctx } = state(req);
      if (req.body === undefined) throw new BadRequest(MALFORMED);
      const cg = assertValidBody(req.body, 'consistencygroup');
      authorize(ctx, 'group:create', ctx.projectId);
      validateNameAndDescription(cg);
      const name = optString(cg.name);
      const volumeTypes: unknown = cg.volume_types;
      if (!pyTruthy(volumeTypes))
        throw new BadRequest(`volume_types must be provided to create consistency group ${name ?? 'None'}.`);
      if (typeof volumeTypes !== 'string') throw new BadRequest(MALFORMED);
      const groupType = await getDefaultCgsnapshotType(db);
      if (!groupType)
        throw new BadRequest(
          `Group type ${DEFAULT_CGSNAPSHOT_TYPE} not found. Rerun migration script to create the default cgsnapshot type.`,
        );
      const created = await api.create(ctx, {
        name,
        description: optString(cg.description),
        groupType: groupType.id,
        volumeTypes: volumeTypes.replace(/,+$/, '').split(','),
        availabilityZone: (cg.availability_zone ?? null) as string | null,
      });
      return reply.code(202).send({ consistencygroup: consistencyGroupSummaryView(created) });
    }

    async function createFromSrc(req: FastifyRequest, reply: FastifyReply) {
      const { ctx } = state(req);
      if (req.body === undefined) throw new BadRequest(MALFORMED);
      const cg = assertValidBody(req.body, 'consistencygroup-from-src');
      authorize(ctx, 'group:create', ctx.projectId);
      validateNameAndDescription(cg);
      const name = optString(cg.name);
      const cgsnapshotId = cg.cgsnapshot_id;
      const sourceCgid = cg.source_cgid;
      if (!pyTruthy(cgsnapshotId) && !pyTruthy(sourceCgid))
        throw new BadRequest(
          `Either 'cgsnapshot_id' or 'source_cgid' must be provided to create consistency group ${name ?? 'None'} from source.`,
        );
      if (pyTruthy(cgsnapshotId) && pyTruthy(sourceCgid))
        throw new BadRequest(
          `Cannot provide both 'cgsnapshot_id' and 'source_cgid' to create consistency group ${name ?? 'None'} from source.`,
        );
      if (typeof (cgsnapshotId ?? sourceCgid) !== 'string') throw new BadRequest(MALFORMED);
      let created: GroupRecord;
      try {
        if (pyTruthy(sourceCgid)) await api.get(ctx, sourceCgid as string);
        if (pyTruthy(cgsnapshotId)) await snapshots.getGroupSnapshot(ctx, cgsnapshotId as string);
        created = await api.createFromSrc(ctx, {
          name,
          description: optString(cg.description),
          groupSnapshotId: pyTruthy(cgsnapshotId) ? (cgsnapshotId as string) : null,
          sourceGroupId: pyTruthy(sourceCgid) ? (sourceCgid as string) : null,
        });
      } catch (e) {
        // NOTE: Cinder answers any of its errors but a not-found one with a 400 of its text.
        if (e instanceof CinderError && !(e instanceof NotFound))
          throw new BadRequest(e.safe ? e.message : MALFORMED);
        throw e;
      }
      return reply.code(202).send({ consistencygroup: consistencyGroupSummaryView(created) });
    }

    async function updateV3(req: FastifyRequest<ById>, reply: FastifyReply) {
      await update(req, true);
      return reply.code(202).send();
    }

    async function updateContrib(req: FastifyRequest<ById>, reply: FastifyReply) {
      await update(req, false);
      return reply.code(202).send();
    }

    async function deleteContrib(req: FastifyRequest<ById>, reply: FastifyReply) {
      await remove(req);
      return reply.code(202).send();
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      await remove(req);
      return reply.code(202).send();
    }

    // ---- /cgsnapshots ----

    const cgsnapshots = async (req: FastifyRequest, detail: boolean) => {
      const { ctx } = state(req);
      // Cinder's `common.limited`: offset and limit over the whole list; nothing else is read.
      const q = queryOf(req);
      const paging: Record<string, string> = {};
      for (const k of ['limit', 'offset']) if (k in q) paging[k] = q[k]!;
      const params = takeListParams(paging, cfg.osapi_max_limit, {});
      const all = await snapshots.getAllGroupSnapshots(ctx, { allTenants: false, columns: {} }, {});
      const offset = params.offset ?? 0;
      const items = all.slice(offset, offset + (params.limit || cfg.osapi_max_limit));
      return { cgsnapshots: items.map(detail ? cgsnapshotDetailView : cgsnapshotSummaryView) };
    };

    async function showCgsnapshot(req: FastifyRequest<ById>) {
      const gs = await snapshots.getGroupSnapshot(state(req).ctx, id(req));
      return { cgsnapshot: cgsnapshotDetailView(gs) };
    }

    async function createCgsnapshot(req: FastifyRequest, reply: FastifyReply) {
      const { ctx } = state(req);
      if (req.body === undefined) throw new BadRequest(MALFORMED);
      const body = assertValidBody(req.body, 'cgsnapshot');
      validateNameAndDescription(body);
      if (!('consistencygroup_id' in body)) throw new BadRequest("'consistencygroup_id' must be specified");
      const groupId = body.consistencygroup_id;
      if (typeof groupId !== 'string') {
        // Cinder looks the value up as it is: a scalar names no group.
        if (groupId === null || typeof groupId !== 'object') throw new GroupNotFound(pythonStr(groupId));
        throw new BadRequest(MALFORMED);
      }
      const group = await api.get(ctx, groupId);
      const created = await snapshots.createGroupSnapshot(
        ctx,
        group,
        optString(body.name),
        optString(body.description),
      );
      return reply.code(202).send({ cgsnapshot: cgsnapshotSummaryView(created) });
    }

    async function destroyCgsnapshot(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      const gs = await snapshots.getGroupSnapshot(ctx, id(req));
      try {
        await snapshots.deleteGroupSnapshot(ctx, gs);
      } catch (e) {
        if (e instanceof InvalidGroupSnapshot || e instanceof GroupSnapshotNotFound) throw e;
        if (e instanceof PolicyNotAuthorized) throw e;
        // NOTE: Cinder answers any other failure with this text.
        throw new BadRequest('Failed to delete the cgsnapshot');
      }
      return reply.code(202).send();
    }

    app.get('/consistencygroups', (req) => list(req, false));
    app.get('/consistencygroups/detail', (req) => list(req, true));
    app.get<ById>('/consistencygroups/:id', show);
    app.post('/consistencygroups', create);
    app.post('/consistencygroups/create_from_src', createFromSrc);
    app.put<ById>('/consistencygroups/:id', updateV3);
    app.put<ById>('/consistencygroups/:id/update', updateContrib);
    app.post<ById>('/consistencygroups/:id/delete', deleteContrib);
    app.delete<ById>('/consistencygroups/:id', destroy);

    app.get('/cgsnapshots', (req) => cgsnapshots(req, false));
    app.get('/cgsnapshots/detail', (req) => cgsnapshots(req, true));
    app.get<ById>('/cgsnapshots/:id', showCgsnapshot);
    app.post('/cgsnapshots', createCgsnapshot);
    app.delete<ById>('/cgsnapshots/:id', destroyCgsnapshot);
  };
}
