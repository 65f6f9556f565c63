/**
 * `/backups` (Cinder's `api/contrib/backups.py` and `api/v3/backups.py` BackupsController, and
 * the backup half of `admin_actions.py`): list, detail, show, create, update (3.9), delete,
 * restore, export_record, import_record, and the `os-reset_status` / `os-force_delete` actions.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { queryOf, state } from '../request.js';
import { isAllowed } from '../../auth/policy.js';
import { BackupNotFound, InvalidParameterValue, ItemNotFound, ValidationError } from '../../common/errors.js';
import { boolFromString, pythonRepr, pythonStr } from '../../common/strutils.js';
import { MarkerNotFound } from '../../db/api/volumes.js';
import { BackupAPI } from '../../backup/api.js';
import { BackupServiceNotFound, ServiceUnavailable } from '../../backup/errors.js';
import { collectionLinks } from '../common/pagination.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/backups.js';
import { backupDetailView, backupSummaryView, exportView, restoreView } from '../views/backups.js';
import { takeModelListParams } from './list-params.js';
import { getBoolParam } from './query-params.js';
import { actionArgs, adminActionHandlers, dispatchAction } from './actions.js';
import { backupFiltersFromQuery, backupSortKeys } from './backups-filters.js';

const validateCreate = compileSchema(schemas.create);
const validateCreateV343 = compileSchema(schemas.createV343);
const validateCreateV351 = compileSchema(schemas.createV351);
const validateUpdate = compileSchema(schemas.update);
const validateUpdateV343 = compileSchema(schemas.updateV343);
const validateRestore = compileSchema(schemas.restore);
const validateImport = compileSchema(schemas.importRecord);

type Body = Record<string, unknown>;

/** Statuses `os-reset_status` may set on a backup (Cinder's `backup_status` format). */
const RESETTABLE = ['available', 'error'];

/** `validate_name_and_description(check_length=False)`: strings are trimmed, nothing else. */
function stripNames(b: Body): void {
  for (const k of ['name', 'description']) if (typeof b[k] === 'string') b[k] = b[k].trim();
}

/**
 * Cinder's `base64` format (oslo `base64.decode_as_bytes`, which skips characters outside the
 * alphabet and wants whole 4-character groups): checked after the schema, with its error text.
 */
function checkBase64(body: unknown): void {
  const url = actionArgs(body, 'backup-record')?.backup_url;
  if (typeof url !== 'string') return;
  const data = url.replace(/[^A-Za-z0-9+/=]/g, '');
  const cut = data.indexOf('=');
  const chars = cut < 0 ? data.length : cut;
  const padding = cut < 0 ? 0 : data.length - cut;
  const ok = chars % 4 === 0 || (chars % 4 !== 1 && (chars % 4) + padding >= 4);
  if (!ok)
    throw new ValidationError(
      `Invalid input for field/attribute backup_url. Value: ${pythonStr(url)}. ${pythonRepr(url)} is not a 'base64'`,
    );
}

/** Cinder's `backup_status` format: its error escapes validation as `InvalidParameterValue`. */
function checkBackupStatusFormat(body: unknown): void {
  const status = actionArgs(body, 'os-reset_status')?.status;
  if (typeof status !== 'string') return;
  if (!status || !RESETTABLE.includes(status.toLowerCase()))
    throw new InvalidParameterValue(
      `Backup status: ${status} is invalid, valid statuses are: [${RESETTABLE.map((s) => pythonRepr(s)).join(', ')}].`,
    );
}

export function backupRoutes(deps: ApiDeps) {
  const api = new BackupAPI(deps.core, deps.volumes);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;

  const detailOpts = (req: FastifyRequest) => {
    const s = state(req);
    return {
      version: s.version,
      links: s.links,
      projectAttributes: isAllowed(s.ctx, 'backup:backup_project_attribute'),
    };
  };

  async function list(req: FastifyRequest, detail: boolean) {
    const s = state(req);
    const query = queryOf(req);
    const params = takeModelListParams(query, maxLimit, backupSortKeys(s.version));
    let withCount = false;
    if (s.version.gte('3.45') && 'with_count' in query) {
      withCount = getBoolParam('with_count', query);
      delete query.with_count;
    }
    const filters = backupFiltersFromQuery(query, s.ctx, s.version);
    let rows: Awaited<ReturnType<typeof api.getAll>> = [];
    if (filters) {
      try {
        rows = await api.getAll(s.ctx, filters, {
          marker: params.marker,
          limit: params.limit,
          offset: params.offset,
          sort: params.sort,
        });
      } catch (e) {
        if (e instanceof MarkerNotFound) throw new BackupNotFound(e.marker);
        throw e;
      }
    }
    const o = detailOpts(req);
    const body: Body = {
      backups: rows.map((b) => (detail ? backupDetailView(b, o) : backupSummaryView(b, s.links))),
    };
    const url = `${s.links.baseUrl}${req.url}`;
    const links = collectionLinks(rows, params, url, detail ? 'backups/detail' : 'backups');
    if (links) body.backups_links = links;
    if (withCount) body.count = filters ? await api.count(s.ctx, filters) : 0;
    return body;
  }

  return async (app: FastifyInstance) => {
    app.get('/backups', (req) => list(req, false));
    app.get('/backups/detail', (req) => list(req, true));

    app.get('/backups/:id', async (req) => {
      const s = state(req);
      const b = await api.get(s.ctx, (req.params as { id: string }).id);
      return { backup: backupDetailView(b, detailOpts(req)) };
    });

    app.post('/backups', async (req, reply) => {
      const s = state(req);
      const body = (req.body ?? null) as Body | null;
      if (s.version.gte('3.51')) validateCreateV351(body);
      else if (s.version.gte('3.43')) validateCreateV343(body);
      else validateCreate(body);
      const b = { ...(body!.backup as Body) };
      stripNames(b);
      const created = await api.create(s.ctx, {
        name: (b.name ?? null) as string | null,
        description: (b.description ?? null) as string | null,
        volume_id: b.volume_id as string,
        container: (b.container ?? null) as string | null,
        incremental: boolFromString(b.incremental ?? false, true),
        force: boolFromString(b.force ?? false, true),
        snapshot_id: (b.snapshot_id ?? null) as string | null,
        metadata: s.version.gte('3.43') ? ((b.metadata ?? null) as Record<string, string> | null) : null,
        availability_zone: s.version.gte('3.51') ? ((b.availability_zone ?? null) as string | null) : null,
      });
      return reply.code(202).send({ backup: backupSummaryView(created, s.links) });
    });

    app.put('/backups/:id', async (req) => {
      const s = state(req);
      if (!s.version.gte('3.9')) throw new ItemNotFound();
      const body = (req.body ?? null) as Body | null;
      if (s.version.gte('3.43')) validateUpdateV343(body);
      else validateUpdate(body);
      const upd = { ...((body!.backup ?? {}) as Body) };
      stripNames(upd);
      const fields: Parameters<typeof api.update>[2] = {};
      if ('name' in upd) fields.display_name = upd.name as string | null;
      if ('description' in upd) fields.display_description = upd.description as string | null;
      if (s.version.gte('3.43') && 'metadata' in upd)
        fields.metadata = upd.metadata as Record<string, string>;
      const updated = await api.update(s.ctx, (req.params as { id: string }).id, fields);
      return { backup: backupSummaryView(updated, s.links) };
    });

    app.delete('/backups/:id', async (req, reply) => {
      const s = state(req);
      const b = await api.get(s.ctx, (req.params as { id: string }).id);
      await api.delete(s.ctx, b);
      return reply.code(202).send();
    });

    app.post('/backups/:id/restore', async (req, reply) => {
      const s = state(req);
      const body = (req.body ?? null) as Body | null;
      validateRestore(body);
      const r = (body!.restore ?? {}) as Body;
      const result = await api.restore(
        s.ctx,
        (req.params as { id: string }).id,
        (r.volume_id ?? null) as string | null,
        (r.name ?? null) as string | null,
      );
      return reply.code(202).send(restoreView(result));
    });

    app.get('/backups/:id/export_record', async (req) => {
      const s = state(req);
      return exportView(await api.exportRecord(s.ctx, (req.params as { id: string }).id));
    });

    app.post('/backups/import_record', async (req, reply) => {
      const s = state(req);
      const body = (req.body ?? null) as Body | null;
      validateImport(body);
      checkBase64(body);
      const rec = body!['backup-record'] as Body;
      try {
        const b = await api.importRecord(s.ctx, rec.backup_service as string, rec.backup_url as string);
        return reply.code(201).send({ backup: backupSummaryView(b, s.links) });
      } catch (e) {
        if (e instanceof BackupServiceNotFound) throw new ServiceUnavailable(e.message);
        throw e;
      }
    });

    app.post('/backups/:id/action', async (req, reply) => {
      const { ctx } = state(req);
      const id = (req.params as { id: string }).id;
      await dispatchAction(req.body, adminActionHandlers(ctx, id, api, checkBackupStatusFormat));
      return reply.code(202).send();
    });
  };
}
