/**
 * `/snapshots/{id}/metadata[/{key}]` (Cinder's `api/v3/snapshot_metadata.py`). Unlike volume
 * metadata there is no body schema: a body needs its `metadata` (or `meta`) object, and the values
 * are checked by `check_metadata_properties` (too long → 413).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { BadRequest, SnapshotMetadataNotFound } from '../../common/errors.js';
import { isObject } from '../validation/python-values.js';
import { snapshotApiOf } from './snapshots.js';

/** `assert_valid_body`: the body has `entity`, and it is an object. */
function assertValidBody(body: unknown, entity: string): Record<string, string> {
  const value = isObject(body) ? body[entity] : undefined;
  if (!isObject(value)) throw new BadRequest(`Missing required element '${entity}' in request body.`);
  // NOTE: no schema checks the values; the snapshot API refuses those that are not strings
  // (check_metadata_properties) before it stores anything.
  return value as Record<string, string>;
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };
type ByKey = { Params: { id: string; key: string } };

export function snapshotMetadataRoutes(deps: ApiDeps) {
  const api = snapshotApiOf(deps);
  const snapshotOf = (req: FastifyRequest<ById>) => api.get(state(req).ctx, req.params.id);

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest<ById>) {
      const s = await snapshotOf(req);
      return { metadata: await api.getMetadata(state(req).ctx, s) };
    }

    async function create(req: FastifyRequest<ById>) {
      const meta = assertValidBody(req.body, 'metadata');
      const s = await snapshotOf(req);
      return { metadata: await api.updateMetadata(state(req).ctx, s, meta, false) };
    }

    async function updateAll(req: FastifyRequest<ById>) {
      const meta = assertValidBody(req.body, 'metadata');
      const s = await snapshotOf(req);
      return { metadata: await api.updateMetadata(state(req).ctx, s, meta, true) };
    }

    async function show(req: FastifyRequest<ByKey>) {
      const s = await snapshotOf(req);
      const key = req.params.key;
      const meta = await api.getMetadata(state(req).ctx, s);
      if (!Object.hasOwn(meta, key)) throw new SnapshotMetadataNotFound(s.id, key);
      return { meta: { [key]: meta[key] } };
    }

    async function update(req: FastifyRequest<ByKey>) {
      const item = assertValidBody(req.body, 'meta');
      const key = req.params.key;
      if (!Object.hasOwn(item, key)) throw new BadRequest('Request body and URI mismatch');
      if (Object.keys(item).length > 1) throw new BadRequest('Request body contains too many items');
      const s = await snapshotOf(req);
      await api.updateMetadata(state(req).ctx, s, item, false);
      return { meta: item };
    }

    async function destroy(req: FastifyRequest<ByKey>, reply: FastifyReply) {
      const s = await snapshotOf(req);
      await api.deleteMetadataKey(state(req).ctx, s, req.params.key);
      return reply.code(200).send();
    }

    app.get<ById>('/snapshots/:id/metadata', index);
    app.post<ById>('/snapshots/:id/metadata', create);
    app.put<ById>('/snapshots/:id/metadata', updateAll);
    app.get<ByKey>('/snapshots/:id/metadata/:key', show);
    app.put<ByKey>('/snapshots/:id/metadata/:key', update);
    app.delete<ByKey>('/snapshots/:id/metadata/:key', destroy);
  };
}
