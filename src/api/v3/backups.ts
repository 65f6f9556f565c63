/**
 * `/backups` (Cinder's `api/contrib/backups.py` and `api/v3/backups.py` BackupsController, and
 * the backup half of `admin_actions.py`): list, detail, show, create, update (3.9), delete,
 * restore, export_record, import_record, and the `os-reset_status` / `os-force_delete` actions.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { isAllowed } from '../../auth/policy.js';
import {
  BackupServiceNotFound,
  HTTPServiceUnavailable,
  InvalidParameterValue,
  ItemNotFound,
  ValidationError,
} from '../../common/errors.js';
import { boolFromString, pythonRepr, pythonStr } from '../../common/strutils.js';
import { BackupAPI } from '../../backup/api.js';
import { collectionLinks } from '../common/pagination.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/backups.js';
import { backupDetailView, backupSummaryView, exportView, restoreView } from '../views/backups.js';
import { takeModelListParams } from './list-params.js';
import { getBoolParam } from './query-params.js';
import { actionArgs, adminActionHandlers, dispatchAction } from './actions.js';
import { backupFiltersFromQuery, backupSortKeys } from './backups-filters.js';
import { resourceFilters } from '../resource-filters.js';

const validateCreate = compileSchema<schemas.CreateBackupBody>(schemas.create);
const validateCreateV343 = compileSchema<schemas.CreateBackupBody>(schemas.createV343);
const validateCreateV351 = compileSchema<schemas.CreateBackupBody>(schemas.createV351);
const validateUpdate = compileSchema<schemas.UpdateBackupBody>(schemas.update);
const validateUpdateV343 = compileSchema<schemas.UpdateBackupBody>(schemas.updateV343);
const validateRestore = compileSchema<schemas.RestoreBackupBody>(schemas.restore);
const validateImport = compileSchema<schemas.ImportRecordBody>(schemas.importRecord);

type Body = Record<string, unknown>;

/** The name and description fields a backup body may carry. */
interface NameFields {
  name?: string | null;
  description?: string | null;
}

/** Statuses `os-reset_status` may set on a backup (Cinder's `backup_status` format). */
const RESETTABLE = ['available', 'error'];

/** `validate_name_and_description(check_length=False)`: strings are trimmed, nothing else. */
function stripNames(b: NameFields): void {
  for (const k of ['name', 'description'] as const) {
    const value = b[k];
    if (typeof value === 'string') b[k] = value.trim();
  }
}

/**
 * Cinder's `base64` format (oslo `base64.decode_as_bytes`, which skips characters outside the
 * alphabet and wants whole 4-character groups): checked after the schema, with its error text.
 */
function checkBase64(url: string): void {
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

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

export function backupRoutes(deps: ApiDeps) {
  const api = new BackupAPI(deps.core, deps.volumes);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;
  const filtersFile = resourceFilters(deps.core.config, deps.core.log);

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
    const filters = backupFiltersFromQuery(query, s.ctx, s.version, filtersFile);
    let rows: Awaited<ReturnType<typeof api.getAll>> = [];
    if (filters) {
      rows = await api.getAll(s.ctx, filters, {
        marker: params.marker,
        limit: params.limit,
        offset: params.offset,
        sort: params.sort,
      });
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
    async function show(req: FastifyRequest<ById>) {
      const s = state(req);
      const b = await api.get(s.ctx, req.params.id);
      return { backup: backupDetailView(b, detailOpts(req)) };
    }

    async function create(req: FastifyRequest, reply: FastifyReply) {
      const s = state(req);
      const raw = req.body ?? null;
      const body = s.version.gte('3.51')
        ? validateCreateV351(raw)
        : s.version.gte('3.43')
          ? validateCreateV343(raw)
          : validateCreate(raw);
      const b = { ...body.backup };
      stripNames(b);
      const created = await api.create(s.ctx, {
        name: b.name ?? null,
        description: b.description ?? null,
        volume_id: b.volume_id,
        container: b.container ?? null,
        incremental: boolFromString(b.incremental ?? false, true),
        force: boolFromString(b.force ?? false, true),
        snapshot_id: b.snapshot_id ?? null,
        metadata: s.version.gte('3.43') ? (b.metadata ?? null) : null,
        availability_zone: s.version.gte('3.51') ? (b.availability_zone ?? null) : null,
      });
      return reply.code(202).send({ backup: backupSummaryView(created, s.links) });
    }

    async function update(req: FastifyRequest<ById>) {
      const s = state(req);
      if (!s.version.gte('3.9')) throw new ItemNotFound();
      const raw = req.body ?? null;
      const body = s.version.gte('3.43') ? validateUpdateV343(raw) : validateUpdate(raw);
      const upd = { ...(body.backup ?? {}) };
      stripNames(upd);
      const fields: Parameters<typeof api.update>[2] = {};
      if ('name' in upd) fields.display_name = upd.name;
      if ('description' in upd) fields.display_description = upd.description;
      if (s.version.gte('3.43') && 'metadata' in upd) fields.metadata = upd.metadata;
      const updated = await api.update(s.ctx, req.params.id, fields);
      return { backup: backupSummaryView(updated, s.links) };
    }

    async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
      const s = state(req);
      const b = await api.get(s.ctx, req.params.id);
      await api.delete(s.ctx, b);
      return reply.code(202).send();
    }

    async function restore(req: FastifyRequest<ById>, reply: FastifyReply) {
      const s = state(req);
      const r = validateRestore(req.body ?? null).restore ?? {};
      const result = await api.restore(s.ctx, req.params.id, r.volume_id ?? null, r.name ?? null);
      return reply.code(202).send(restoreView(result));
    }

    async function exportRecord(req: FastifyRequest<ById>) {
      const s = state(req);
      return exportView(await api.exportRecord(s.ctx, req.params.id));
    }

    async function importRecord(req: FastifyRequest, reply: FastifyReply) {
      const s = state(req);
      const rec = validateImport(req.body ?? null)['backup-record'];
      checkBase64(rec.backup_url);
      try {
        const b = await api.importRecord(s.ctx, rec.backup_service, rec.backup_url);
        return reply.code(201).send({ backup: backupSummaryView(b, s.links) });
      } catch (e) {
        if (e instanceof BackupServiceNotFound) throw new HTTPServiceUnavailable(e.message);
        throw e;
      }
    }

    async function action(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      const id = req.params.id;
      await dispatchAction(req.body, adminActionHandlers(ctx, id, api, checkBackupStatusFormat));
      return reply.code(202).send();
    }

    app.get('/backups', (req) => list(req, false));
    app.get('/backups/detail', (req) => list(req, true));
    app.get<ById>('/backups/:id', show);
    app.post('/backups', create);
    app.put<ById>('/backups/:id', update);
    app.delete<ById>('/backups/:id', destroy);
    app.post<ById>('/backups/:id/restore', restore);
    app.get<ById>('/backups/:id/export_record', exportRecord);
    app.post('/backups/import_record', importRecord);
    app.post<ById>('/backups/:id/action', action);
  };
}
