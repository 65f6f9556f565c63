/**
 * `/volumes` (Cinder's `api/v3/volumes.py` VolumeController): list, detail, summary, show, create,
 * update, delete. Controllers only translate HTTP to VolumeAPI calls and rows to views.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state, queryOf } from '../request.js';
import {
  BadRequest,
  BackupNotFound,
  SnapshotNotFound,
  VolumeNotFound,
  InvalidInput,
  ItemNotFound,
} from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import { snapshotGet } from '../../db/api/snapshots.js';
import { backupGet } from '../../db/api/backups.js';
import { authorize } from '../../auth/policy.js';
import { volumeGet, MarkerNotFound, type VolumeFilters } from '../../db/api/volumes.js';
import { getVolumeTypeByNameOrId } from '../../volume/volume-types.js';
import { takeListParams, collectionLinks } from '../common/pagination.js';
import { volumeDetailView, volumeSummaryView } from '../views/volumes.js';
import { volumeFiltersFromQuery, VOLUME_SORT_KEYS } from './volume-filters.js';
import { validateVolumeCreate, validateVolumeUpdate } from './validators.js';
import { GroupAPI } from '../../group/api.js';

type Body = Record<string, unknown>;

export function volumeRoutes(deps: ApiDeps) {
  const api = deps.volumes;
  const db = deps.core.dbh.db;
  const groups = new GroupAPI(deps.core, deps.volumes);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;

  const view = (req: FastifyRequest, extended: boolean) => {
    const s = state(req);
    return { version: s.version, isAdmin: s.ctx.isAdmin, links: s.links, extended };
  };

  async function list(req: FastifyRequest, detail: boolean) {
    const s = state(req);
    const query = queryOf(req);
    const params = takeListParams(query, maxLimit, VOLUME_SORT_KEYS);
    const filters: VolumeFilters = volumeFiltersFromQuery(query, s.ctx, s.version);
    const withCount =
      s.version.gte('3.45') && 'with_count' in query ? boolFromString(query.with_count) : false;
    let rows;
    try {
      rows = await api.getAll(s.ctx, filters, params);
    } catch (e) {
      if (e instanceof MarkerNotFound) throw new BadRequest(`Marker ${e.marker} could not be found.`);
      throw e;
    }
    const o = view(req, true);
    const body: Record<string, unknown> = {
      volumes: rows.map((v) => (detail ? volumeDetailView(v, o) : volumeSummaryView(v, s.links))),
    };
    const links = collectionLinks(rows, params, `${s.links.baseUrl}${req.url}`, 'volumes');
    if (links) body.volumes_links = links;
    if (withCount) body.count = (await api.summary(s.ctx, filters)).count;
    return body;
  }

  return async (app: FastifyInstance) => {
    app.get('/volumes', (req) => list(req, false));
    app.get('/volumes/detail', (req) => list(req, true));

    app.get('/volumes/summary', async (req) => {
      const s = state(req);
      if (!s.version.gte('3.12')) throw new ItemNotFound();
      const filters = volumeFiltersFromQuery(queryOf(req), s.ctx, s.version);
      const sum = await api.summary(s.ctx, filters);
      const out: Record<string, unknown> = { total_count: sum.count, total_size: sum.size };
      if (s.version.gte('3.36')) out.metadata = sum.metadata;
      return { 'volume-summary': out };
    });

    app.get('/volumes/:id', async (req) => {
      const s = state(req);
      const v = await api.get(s.ctx, (req.params as { id: string }).id);
      return { volume: volumeDetailView(v, view(req, true)) };
    });

    app.post('/volumes', async (req, reply) => {
      const s = state(req);
      const body = (req.body ?? null) as Body | null;
      validateVolumeCreate(body, s.version);
      const vol = { ...(body!.volume as Body) };
      const hints = body!['OS-SCH-HNT:scheduler_hints'] as Record<string, unknown> | null | undefined;
      if (vol.multiattach !== undefined && vol.multiattach !== null && boolFromString(vol.multiattach)) {
        throw new InvalidInput(
          'multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.',
        );
      }
      const name = (vol.name ?? vol.display_name ?? null) as string | null;
      const description = (vol.description ?? vol.display_description ?? null) as string | null;
      const imageRef = (vol.imageRef ?? vol.image_id ?? null) as string | null;
      const typeRef = vol.volume_type as string | null | undefined;
      const volume_type = typeRef ? await getVolumeTypeByNameOrId(db, s.ctx, typeRef) : null;
      const projectScope = s.ctx.isAdmin ? null : s.ctx.projectId;
      const snapshotId = vol.snapshot_id as string | null | undefined;
      const snapshot = snapshotId ? await snapshotGet(db, snapshotId, projectScope) : null;
      if (snapshotId && !snapshot) throw new SnapshotNotFound(snapshotId);
      const sourceId = vol.source_volid as string | null | undefined;
      const source_volume = sourceId ? await volumeGet(db, sourceId, projectScope) : null;
      if (sourceId && !source_volume) throw new VolumeNotFound(sourceId);
      const groupId = (vol.consistencygroup_id ?? (s.version.gte('3.13') ? vol.group_id : null) ?? null) as
        string | null;
      const group = groupId ? await groups.get(s.ctx, groupId) : null;
      const image_id: string | null = null;
      if (imageRef) {
        // NOTE: no image service is configured: Cinder's `_image_uuid_from_ref` then ends here.
        throw new BadRequest('Invalid image identifier or unable to access requested image.');
      }
      const backupId = s.version.gte('3.47') ? (vol.backup_id as string | null | undefined) : null;
      // Cinder's `backup_api.get`: the caller's backup (any, for an admin), policy `backup:get`.
      const backupRow = backupId ? await backupGet(db, backupId, { projectId: projectScope }) : null;
      if (backupId && !backupRow) throw new BackupNotFound(backupId);
      if (backupRow) authorize(s.ctx, 'backup:get', backupRow.project_id);
      const metadata = (vol.metadata ?? {}) as Record<string, string>;
      const created = await api.create(s.ctx, {
        size: (vol.size ?? null) as number | string | null,
        name,
        description,
        volume_type,
        metadata,
        availability_zone: (vol.availability_zone ?? null) as string | null,
        snapshot,
        source_volume,
        image_id,
        backup: backupRow ? { id: backupRow.id, status: backupRow.status, size: backupRow.size ?? 0 } : null,
        group_id: group?.id ?? null,
        group,
        scheduler_hints: hints ?? null,
      });
      void image_id;
      return reply.code(202).send({ volume: volumeDetailView(created, view(req, false)) });
    });

    app.put('/volumes/:id', async (req) => {
      const s = state(req);
      const body = (req.body ?? null) as Body | null;
      validateVolumeUpdate(body, s.version);
      const upd = body!.volume as Body;
      const v = await api.get(s.ctx, (req.params as { id: string }).id);
      const fields: Parameters<typeof api.update>[2] = {};
      if ('name' in upd || 'display_name' in upd)
        fields.display_name = (upd.name ?? upd.display_name ?? null) as string | null;
      if ('description' in upd || 'display_description' in upd)
        fields.display_description = (upd.description ?? upd.display_description ?? null) as string | null;
      if ('metadata' in upd && upd.metadata !== null)
        fields.metadata = upd.metadata as Record<string, string>;
      const updated = await api.update(s.ctx, v, fields);
      return { volume: volumeDetailView(updated, view(req, false)) };
    });

    app.delete('/volumes/:id', async (req, reply) => {
      const s = state(req);
      const q = queryOf(req);
      const cascade = boolFromString(q.cascade ?? 'false', true);
      const force = s.version.gte('3.23') ? boolFromString(q.force ?? 'false', true) : false;
      const v = await api.get(s.ctx, (req.params as { id: string }).id);
      await api.delete(s.ctx, v, { cascade, force });
      return reply.code(202).send();
    });
  };
}
