/**
 * Volume transfers: the legacy `/os-volume-transfer` (Cinder's `api/contrib/volume_transfer.py`)
 * and `/volume-transfers` (`api/v3/volume_transfer.py`). Both create, list (summary and detail),
 * show, accept and delete; only `/volume-transfers` takes `no_snapshots` (3.55+), pages and sorts
 * its lists (3.59+) and may offer encrypted volumes (3.70+).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import { QuotaError, VolumeSizeExceedsAvailableQuota } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { TransferListFilters } from '../../db/api/transfers.js';
import { TRANSFER_COLUMNS, TransferAPI } from '../../transfer/api.js';
import { compileSchema } from '../validation/index.js';
import {
  acceptTransfer,
  createTransfer,
  createTransferV355,
  type AcceptTransferBody,
  type CreateTransferBody,
  type CreateTransferV355Body,
} from '../schemas/volume-transfer.js';
import { faultBody } from '../fault.js';
import { TRANSFER_COLLECTION, transferCreated, transferDetail, transferSummary } from '../views/transfers.js';
import { columnSortKeys, takeModelListParams } from './list-params.js';
import { limitedSlice, paginationParams } from './transfer-pagination.js';

const validateCreate = compileSchema<CreateTransferBody>(createTransfer);
const validateCreateV355 = compileSchema<CreateTransferV355Body>(createTransferV355);
const validateAccept = compileSchema<AcceptTransferBody>(acceptTransfer);

/** Transfer columns stored as 0/1 that a filter names with a boolean word. */
const BOOLEAN_COLUMNS = new Set(['no_snapshots', 'accepted', 'deleted']);

type Version = FastifyRequest['kindling']['version'];

/**
 * Query filters → column filters (`name` is `display_name`); null when a key names no column of
 * Cinder's model, which lists nothing (`is_valid_model_filters`).
 */
function columnFilters(query: Record<string, string>): TransferListFilters['columns'] | null {
  const out: TransferListFilters['columns'] = {};
  for (const [key, value] of Object.entries(query)) {
    const col = key === 'name' ? 'display_name' : key;
    if (!(TRANSFER_COLUMNS as readonly string[]).includes(col)) return null;
    out[col as keyof typeof out] = BOOLEAN_COLUMNS.has(col) ? (boolFromString(value) ? 1 : 0) : value;
  }
  return out;
}

/**
 * A 413 as Cinder sends quota errors: `Retry-After: 0` and `retryAfter` in the body. Accept shows
 * `VolumeSizeExceedsAvailableQuota` without its class name (the controller re-raises its text).
 */
function sendQuotaFault(reply: FastifyReply, e: QuotaError): FastifyReply {
  const message = e instanceof VolumeSizeExceedsAvailableQuota ? e.message : `${e.name}: ${e.message}`;
  const fault = faultBody(413, message);
  const body = { overLimit: { ...fault.body.overLimit!, retryAfter: '0' } };
  return reply.code(413).header('Retry-After', '0').type('application/json').send(body);
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

/** Route group for `/os-volume-transfer` and `/volume-transfers`. */
export function transferRoutes(deps: ApiDeps) {
  const transfers = new TransferAPI(deps.core);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;

  /** The list answer; `paged` is the 3.59+ `/volume-transfers` list (pagination and sorting). */
  async function list(req: FastifyRequest, detail: boolean, paged: boolean) {
    const { ctx, version, links } = state(req);
    const raw = queryOf(req);
    const query = { ...raw };
    let page: Parameters<TransferAPI['getAll']>[3] = {
      sort: [
        { key: 'created_at', dir: 'asc' },
        { key: 'id', dir: 'asc' },
      ],
    };
    if (paged) {
      const { marker, limit, offset } = paginationParams(query, maxLimit);
      const { sort } = takeModelListParams(query, maxLimit, columnSortKeys(TRANSFER_COLUMNS));
      page = { marker, limit, offset, sort: sort.length ? sort : [{ key: 'created_at', dir: 'desc' }] };
    }
    const allTenants = boolFromString(query.all_tenants ?? 'false');
    delete query.all_tenants;
    const columns = columnFilters(query);
    const rows = columns ? await transfers.getAll(ctx, allTenants, columns, page) : [];
    // NOTE: Cinder slices the answer by `offset`/`limit` once more (`common.limited`), even when
    // the database already applied them.
    const shown = limitedSlice(rows, raw, maxLimit);
    const view = (t: (typeof rows)[number]) =>
      detail ? transferDetail(t, links, version) : transferSummary(t, links);
    const body: Record<string, unknown> = { transfers: shown.map(view) };
    const next = nextLink(req, shown, rows.length, raw);
    if (next) body.transfers_links = next;
    return body;
  }

  /** `transfers_links` when as many items came back as `limit` allows (Cinder's `_get_collection_links`). */
  function nextLink(
    req: FastifyRequest,
    shown: readonly { id: string }[],
    itemCount: number,
    raw: Record<string, string>,
  ) {
    const { links } = state(req);
    const limit = paginationParams({ ...raw }, maxLimit).limit;
    if (!shown.length || limit > (itemCount || shown.length)) return undefined;
    const params = new URLSearchParams(new URL(req.url, 'http://x').search);
    params.delete('marker');
    params.append('marker', shown[shown.length - 1]!.id);
    const project = links.urlProject ? `/${links.urlProject}` : '';
    return [
      { rel: 'next', href: `${links.baseUrl}/v3${project}/${TRANSFER_COLLECTION}?${params.toString()}` },
    ];
  }

  async function create(req: FastifyRequest, legacy: boolean) {
    const { ctx, version, links } = state(req);
    const withSnapshotsChoice = !legacy && version.gte('3.55');
    // NOTE: a body valid before 3.55 has no `no_snapshots`, so it is a 3.55 body too.
    const body: CreateTransferV355Body = (withSnapshotsChoice ? validateCreateV355 : validateCreate)(
      req.body,
    );
    const t = body.transfer;
    const created = await transfers.create(ctx, t.volume_id, t.name?.trim() ?? null, {
      noSnapshots: withSnapshotsChoice ? boolFromString(t.no_snapshots ?? false) : false,
      allowEncrypted: !legacy && version.gte('3.70'),
    });
    return { transfer: transferCreated(created, links, version) };
  }

  async function show(req: FastifyRequest<ById>) {
    const { ctx, version, links } = state(req);
    const t = await transfers.get(ctx, req.params.id);
    return { transfer: transferDetail(t, links, version) };
  }

  async function accept(req: FastifyRequest<ById>, reply: FastifyReply) {
    const { ctx, links } = state(req);
    const key = validateAccept(req.body).accept.auth_key;
    try {
      const done = await transfers.accept(ctx, req.params.id, String(key));
      return reply.code(202).send({ transfer: transferSummary(done, links) });
    } catch (e) {
      if (e instanceof QuotaError) return sendQuotaFault(reply, e);
      throw e;
    }
  }

  async function destroy(req: FastifyRequest<ById>, reply: FastifyReply) {
    await transfers.delete(state(req).ctx, req.params.id);
    return reply.code(202).send();
  }

  return async (app: FastifyInstance) => {
    for (const [path, legacy] of [
      ['/os-volume-transfer', true],
      ['/volume-transfers', false],
    ] as const) {
      const paged = (v: Version) => !legacy && v.gte('3.59');
      app.get(path, async (req) => list(req, false, paged(state(req).version)));
      app.get(`${path}/detail`, async (req) => list(req, true, paged(state(req).version)));
      app.get<ById>(`${path}/:id`, show);
      app.post(path, async (req, reply) => reply.code(202).send(await create(req, legacy)));
      app.post<ById>(`${path}/:id/accept`, accept);
      app.delete<ById>(`${path}/:id`, destroy);
    }
  };
}
