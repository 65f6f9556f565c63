/**
 * `/volumes` (Cinder's `api/v3/volumes.py` VolumeController): list, detail, summary, show, create,
 * update, delete. Controllers only translate HTTP to VolumeAPI calls and rows to views.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { resolveImageRef } from '../../image/index.js';
import { state, queryOf } from '../request.js';
import { BadRequest, InvalidInput, ItemNotFound } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import { isAllowed } from '../../auth/policy.js';
import type { VolumeFilters } from '../../db/api/volumes.js';
import { BackupAPI } from '../../backup/api.js';
import { getSourceSnapshot, getSourceVolume } from '../../volume/create-sources.js';
import { getVolumeTypeByNameOrId } from '../../volume/volume-types.js';
import { takeListParams, collectionLinks } from '../common/pagination.js';
import { volumeDetailView, volumeSummaryView } from '../views/volumes.js';
import { volumeFiltersFromQuery, VOLUME_SORT_KEYS } from './volume-filters.js';
import { resourceFilters } from '../resource-filters.js';
import { validateVolumeCreate, validateVolumeUpdate } from './validators.js';
import { GroupAPI } from '../../group/api.js';
import { consistencyGroupIds } from '../../volume/cgsnapshot-type.js';

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

export function volumeRoutes(deps: ApiDeps) {
  const api = deps.volumes;
  const db = deps.core.dbh.db;
  const groups = new GroupAPI(deps.core, deps.volumes);
  const backups = new BackupAPI(deps.core, deps.volumes);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

  const view = (req: FastifyRequest, extended: boolean) => {
    const s = state(req);
    const imageMetadata = extended && isAllowed(s.ctx, 'volume_extension:volume_image_metadata:show');
    return { version: s.version, isAdmin: s.ctx.isAdmin, links: s.links, extended, imageMetadata };
  };

  async function list(req: FastifyRequest, detail: boolean) {
    const s = state(req);
    const query = queryOf(req);
    const params = takeListParams(query, maxLimit, VOLUME_SORT_KEYS);
    const filters: VolumeFilters = volumeFiltersFromQuery(query, s.ctx, s.version, filtersFile);
    const withCount =
      s.version.gte('3.45') && 'with_count' in query ? boolFromString(query.with_count) : false;
    const rows = await api.getAll(s.ctx, filters, params);
    const o = {
      ...view(req, true),
      consistencyGroups: detail
        ? await consistencyGroupIds(
            db,
            rows.map((v) => v.group_id),
          )
        : undefined,
    };
    const body: Record<string, unknown> = {
      volumes: rows.map((v) => (detail ? volumeDetailView(v, o) : volumeSummaryView(v, s.links))),
    };
    const links = collectionLinks(rows, params, `${s.links.baseUrl}${req.url}`, 'volumes');
    if (links) body.volumes_links = links;
    if (withCount) body.count = (await api.summary(s.ctx, filters)).count;
    return body;
  }

  return async (app: FastifyInstance) => {
    async function summary(req: FastifyRequest) {
      const s = state(req);
      if (!s.version.gte('3.12')) throw new ItemNotFound();
      const filters = volumeFiltersFromQuery(queryOf(req), s.ctx, s.version, filtersFile, true);
      const sum = await api.summary(s.ctx, filters);
      const out: Record<string, unknown> = { total_count: sum.count, total_size: sum.size };
      if (s.version.gte('3.36')) out.metadata = sum.metadata;
      return { 'volume-summary': out };
    }

    async function show(req: FastifyRequest<ById>) {
      const s = state(req);
      const v = await api.get(s.ctx, req.params.id);
      const consistencyGroups = await consistencyGroupIds(db, [v.group_id]);
      return { volume: volumeDetailView(v, { ...view(req, true), consistencyGroups }) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      const s = state(req);
      const body = validateVolumeCreate(req.body ?? null, s.version);
      const vol = { ...body.volume };
      const hints = body['OS-SCH-HNT:scheduler_hints'];
      if (vol.multiattach !== undefined && vol.multiattach !== null && boolFromString(vol.multiattach)) {
        throw new InvalidInput(
          'multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.',
        );
      }
      const name = vol.name ?? vol.display_name ?? null;
      const description = vol.description ?? vol.display_description ?? null;
      const imageRef = vol.imageRef ?? vol.image_id ?? null;
      const typeRef = vol.volume_type;
      const volume_type = typeRef ? await getVolumeTypeByNameOrId(db, s.ctx, typeRef) : null;
      const snapshotId = vol.snapshot_id;
      const snapshot = snapshotId ? await getSourceSnapshot(db, s.ctx, snapshotId) : null;
      const sourceId = vol.source_volid;
      const source_volume = sourceId ? await getSourceVolume(db, s.ctx, sourceId) : null;
      const groupId = vol.consistencygroup_id ?? (s.version.gte('3.13') ? vol.group_id : null) ?? null;
      const group = groupId ? await groups.get(s.ctx, groupId) : null;
      let image_id: string | null = null;
      if (imageRef !== null) {
        // Cinder's `_image_uuid_from_ref`; without an image service it can only fail.
        if (!api.images)
          throw new BadRequest('Invalid image identifier or unable to access requested image.');
        image_id = await resolveImageRef(api.images, s.ctx, imageRef);
      }
      const backupId = s.version.gte('3.47') ? vol.backup_id : null;
      // Cinder's `backup_api.get`: the caller's backup (any, for an admin), policy `backup:get`.
      const backupRow = backupId ? await backups.get(s.ctx, backupId) : null;
      const metadata = vol.metadata ?? {};
      const created = await api.create(s.ctx, {
        size: vol.size ?? null,
        name,
        description,
        volume_type,
        metadata,
        availability_zone: vol.availability_zone ?? null,
        snapshot,
        source_volume,
        image_id,
        backup: backupRow ? { id: backupRow.id, status: backupRow.status, size: backupRow.size ?? 0 } : null,
        group_id: group?.id ?? null,
        group,
        scheduler_hints: hints ?? null,
      });
      const consistencyGroups = await consistencyGroupIds(db, [created.group_id]);
      return reply
        .code(202)
        .send({ volume: volumeDetailView(created, { ...view(req, false), consistencyGroups }) });
    }

    async function update(req: FastifyRequest<ById>) {
      const s = state(req);
      const upd = validateVolumeUpdate(req.body ?? null, s.version).volume;
      const v = await api.get(s.ctx, req.params.id);
      const fields: Parameters<typeof api.update>[2] = {};
      if ('name' in upd || 'display_name' in upd) fields.display_name = upd.name ?? upd.display_name ?? null;
      if ('description' in upd || 'display_description' in upd)
        fields.display_description = upd.description ?? upd.display_description ?? null;
      if ('metadata' in upd && upd.metadata !== null) fields.metadata = upd.metadata;
      const updated = await api.update(s.ctx, v, fields);
      const consistencyGroups = await consistencyGroupIds(db, [updated.group_id]);
      return { volume: volumeDetailView(updated, { ...view(req, false), consistencyGroups }) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const s = state(req);
      const q = queryOf(req);
      const cascade = boolFromString(q.cascade ?? 'false', true);
      const force = s.version.gte('3.23') ? boolFromString(q.force ?? 'false', true) : false;
      const v = await api.get(s.ctx, req.params.id);
      await api.delete(s.ctx, v, { cascade, force });
      return reply.code(202).send();
    }

    app.get('/volumes', (req) => list(req, false));
    app.get('/volumes/detail', (req) => list(req, true));
    app.get('/volumes/summary', summary);
    app.get<ById>('/volumes/:id', show);
    app.post('/volumes', create);
    app.put<ById>('/volumes/:id', update);
    app.delete<ById>('/volumes/:id', destroy);
  };
}
