/** `/volumes/{id}/metadata[/{key}]` (Cinder's `api/v3/volume_metadata.py`). */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
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

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };
type ByKey = { Params: { id: string; key: string } };

export function volumeMetadataRoutes(deps: ApiDeps) {
  const api = deps.volumes;
  const volumeOf = (req: FastifyRequest<ById>) => api.get(state(req).ctx, req.params.id);

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
    async function index(req: FastifyRequest<ById>, reply: FastifyReply) {
      const v = await volumeOf(req);
      return withEtag(req, reply, await api.getMetadata(state(req).ctx, v));
    }

    async function create(req: FastifyRequest<ById>) {
      const meta = validateMetadataBody(req.body).metadata;
      const v = await volumeOf(req);
      return { metadata: await api.updateMetadata(state(req).ctx, v, meta, false) };
    }

    async function updateAll(req: FastifyRequest<ById>) {
      const meta = validateMetadataBody(req.body).metadata;
      const v = await volumeOf(req);
      checkIfMatch(req, v.metadata);
      return { metadata: await api.updateMetadata(state(req).ctx, v, meta, true) };
    }

    async function show(req: FastifyRequest<ByKey>) {
      const v = await volumeOf(req);
      const key = req.params.key;
      const meta = await api.getMetadata(state(req).ctx, v);
      if (!Object.hasOwn(meta, key)) throw new VolumeMetadataNotFound(v.id, key);
      return { meta: { [key]: meta[key] } };
    }

    async function update(req: FastifyRequest<ByKey>) {
      const item = validateMetaItemBody(req.body).meta;
      const key = req.params.key;
      if (!Object.hasOwn(item, key)) throw new BadRequest('Request body and URI mismatch');
      const v = await volumeOf(req);
      checkIfMatch(req, v.metadata);
      await api.updateMetadata(state(req).ctx, v, item, false);
      return { meta: item };
    }

    async function destroy(req: FastifyRequest<ByKey>, reply: FastifyReply) {
      const v = await volumeOf(req);
      await api.deleteMetadataKey(state(req).ctx, v, req.params.key);
      return reply.code(200).send();
    }

    app.get<ById>('/volumes/:id/metadata', index);
    app.post<ById>('/volumes/:id/metadata', create);
    app.put<ById>('/volumes/:id/metadata', updateAll);
    app.get<ByKey>('/volumes/:id/metadata/:key', show);
    app.put<ByKey>('/volumes/:id/metadata/:key', update);
    app.delete<ByKey>('/volumes/:id/metadata/:key', destroy);
  };
}
