/** `/volumes/{id}/metadata[/{key}]` (Cinder's `api/v3/volume_metadata.py`). */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state } from '../request.js';
import { BadRequest, CinderError, VolumeMetadataNotFound } from '../../common/errors.js';
import { validateMetadataBody, validateMetaItemBody } from './validators.js';

/** 412 for a stale `If-Match` (3.15+). */
class PreconditionFailed extends CinderError {
  override readonly code: number = 412;
}

function etagOf(metadata: Record<string, string>): string {
  return createHash('md5').update(JSON.stringify({ metadata })).digest('hex');
}

export function volumeMetadataRoutes(deps: ApiDeps) {
  const api = deps.volumes;
  const volumeOf = (req: FastifyRequest) => api.get(state(req).ctx, (req.params as { id: string }).id);

  /** 3.15+: a PUT with `If-Match` must name the current metadata's ETag. */
  function checkIfMatch(req: FastifyRequest, metadata: Record<string, string>): void {
    if (!state(req).version.gte('3.15')) return;
    const want = req.headers['if-match'];
    if (
      want &&
      want !== '*' &&
      !String(want)
        .split(',')
        .map((s) => s.trim().replace(/^"|"$/g, ''))
        .includes(etagOf(metadata))
    )
      throw new PreconditionFailed('Metadata changed since the given ETag.');
  }

  function withEtag(req: FastifyRequest, reply: FastifyReply, metadata: Record<string, string>) {
    if (state(req).version.gte('3.15')) reply.header('ETag', etagOf(metadata));
    return { metadata };
  }

  return async (app: FastifyInstance) => {
    app.get('/volumes/:id/metadata', async (req, reply) => {
      const v = await volumeOf(req);
      return withEtag(req, reply, await api.getMetadata(state(req).ctx, v));
    });

    app.post('/volumes/:id/metadata', async (req) => {
      validateMetadataBody(req.body);
      const v = await volumeOf(req);
      const meta = (req.body as { metadata: Record<string, string> }).metadata;
      return { metadata: await api.updateMetadata(state(req).ctx, v, meta, false) };
    });

    app.put('/volumes/:id/metadata', async (req) => {
      validateMetadataBody(req.body);
      const v = await volumeOf(req);
      checkIfMatch(req, v.metadata);
      const meta = (req.body as { metadata: Record<string, string> }).metadata;
      return { metadata: await api.updateMetadata(state(req).ctx, v, meta, true) };
    });

    app.get('/volumes/:id/metadata/:key', async (req) => {
      const v = await volumeOf(req);
      const key = (req.params as { key: string }).key;
      const meta = await api.getMetadata(state(req).ctx, v);
      if (!(key in meta)) throw new VolumeMetadataNotFound(v.id, key);
      return { meta: { [key]: meta[key] } };
    });

    app.put('/volumes/:id/metadata/:key', async (req) => {
      validateMetaItemBody(req.body);
      const key = (req.params as { key: string }).key;
      const item = (req.body as { meta: Record<string, string> }).meta;
      if (!(key in item)) throw new BadRequest('Request body and URI mismatch');
      const v = await volumeOf(req);
      checkIfMatch(req, v.metadata);
      await api.updateMetadata(state(req).ctx, v, item, false);
      return { meta: item };
    });

    app.delete('/volumes/:id/metadata/:key', async (req, reply) => {
      const v = await volumeOf(req);
      await api.deleteMetadataKey(state(req).ctx, v, (req.params as { key: string }).key);
      return reply.code(200).send();
    });
  };
}
