/**
 * `/snapshots/{id}/metadata[/{key}]` (Cinder's `api/v3/snapshot_metadata.py`). Unlike volume
 * metadata there is no body schema: a body needs its `metadata` (or `meta`) object, and the values
 * are checked by `check_metadata_properties` (too long → 413).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state } from '../request.js';
import { BadRequest, SnapshotMetadataNotFound } from '../../common/errors.js';
import { snapshotApiOf } from './snapshots.js';

/** `assert_valid_body`: the body has `entity`, and it is an object. */
function assertValidBody(body: unknown, entity: string): Record<string, string> {
  const value =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)[entity]
      : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new BadRequest(`Missing required element '${entity}' in request body.`);
  return value as Record<string, string>;
}

export function snapshotMetadataRoutes(deps: ApiDeps) {
  const api = snapshotApiOf(deps);
  const snapshotOf = (req: FastifyRequest) => api.get(state(req).ctx, (req.params as { id: string }).id);

  return async (app: FastifyInstance) => {
    app.get('/snapshots/:id/metadata', async (req) => {
      const s = await snapshotOf(req);
      return { metadata: await api.getMetadata(state(req).ctx, s) };
    });

    app.post('/snapshots/:id/metadata', async (req) => {
      const meta = assertValidBody(req.body, 'metadata');
      const s = await snapshotOf(req);
      return { metadata: await api.updateMetadata(state(req).ctx, s, meta, false) };
    });

    app.put('/snapshots/:id/metadata', async (req) => {
      const meta = assertValidBody(req.body, 'metadata');
      const s = await snapshotOf(req);
      return { metadata: await api.updateMetadata(state(req).ctx, s, meta, true) };
    });

    app.get('/snapshots/:id/metadata/:key', async (req) => {
      const s = await snapshotOf(req);
      const key = (req.params as { key: string }).key;
      const meta = await api.getMetadata(state(req).ctx, s);
      if (!(key in meta)) throw new SnapshotMetadataNotFound(s.id, key);
      return { meta: { [key]: meta[key] } };
    });

    app.put('/snapshots/:id/metadata/:key', async (req) => {
      const item = assertValidBody(req.body, 'meta');
      const key = (req.params as { key: string }).key;
      if (!(key in item)) throw new BadRequest('Request body and URI mismatch');
      if (Object.keys(item).length > 1) throw new BadRequest('Request body contains too many items');
      const s = await snapshotOf(req);
      await api.updateMetadata(state(req).ctx, s, item, false);
      return { meta: item };
    });

    app.delete('/snapshots/:id/metadata/:key', async (req, reply) => {
      const s = await snapshotOf(req);
      await api.deleteMetadataKey(state(req).ctx, s, (req.params as { key: string }).key);
      return reply.code(200).send();
    });
  };
}
