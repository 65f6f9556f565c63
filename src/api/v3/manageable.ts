/**
 * Manage / unmanage routes (Cinder's `api/v3/volume_manage.py`, `snapshot_manage.py`, their
 * `api/contrib/` parents and `resource_common_manage.py`):
 * - `POST /manageable_volumes` (3.8+; `/os-volume-manage` at any version): adopt a backend object;
 * - `GET /manageable_volumes[/detail]` (3.8+; `/os-volume-manage[/detail]`): what a backend holds;
 * - the same for snapshots under `/manageable_snapshots` (`/os-snapshot-manage`).
 * The `os-unmanage` actions are in volume-actions.ts and snapshots-actions.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { queryOf, state } from '../request.js';
import { InvalidInput, InvalidParameterValue, ItemNotFound } from '../../common/errors.js';
import { takeListParams } from '../common/pagination.js';
import { authorize, isAllowed } from '../../auth/policy.js';
import { boolFromString } from '../../common/strutils.js';
import { compileSchema } from '../validation/validator.js';
import { pyTruthy } from '../validation/python-values.js';
import * as types from '../schemas/parameter-types.js';
import type { BooleanLike } from '../schemas/parameter-types.js';
import { volumeDetailView } from '../views/volumes.js';
import { snapshotDetailView } from '../views/snapshots.js';
import { VolumeManageAPI } from '../../volume/manage-api.js';
import type { ManageableListArgs } from '../../volume/rpcapi.js';
import type { ManageableSnapshot, ManageableVolume } from '../../volume/driver.js';

/** Cinder's `parameter_types.cinder_host`. */
const cinderHost = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 255,
  pattern: '^[a-zA-Z0-9-._#@:/+\\[\\]]*$',
} as const;

/** Cinder's `volume_manage.volume_manage_create` (and, 3.16+, with `cluster`). */
function volumeManageCreate(withCluster: boolean) {
  const properties: Record<string, unknown> = {
    description: types.description,
    availability_zone: types.nameAllowZeroMinLength,
    bootable: types.boolean,
    volume_type: types.nameAllowZeroMinLength,
    name: types.nameAllowZeroMinLength,
    host: cinderHost,
    ref: { type: ['object', 'string'] },
    metadata: types.metadataAllowsNull,
  };
  if (withCluster) properties.cluster = { type: ['string', 'null'], minLength: 0, maxLength: 255 };
  return {
    type: 'object',
    properties: {
      volume: { type: 'object', properties, required: ['ref'], additionalProperties: false },
    },
    required: ['volume'],
    additionalProperties: false,
  } as const;
}

/**
 * A manage-volume body, any microversion: `cluster` is in the schema from 3.16 on (before, an
 * unknown key, refused). `ref` is any object (Cinder's schema says nothing about its keys) or a
 * name.
 */
interface ManageVolumeBody {
  volume: {
    description?: string | null;
    availability_zone?: string | null;
    bootable?: BooleanLike;
    volume_type?: string | null;
    name?: string | null;
    host?: string | null;
    ref: Record<string, unknown> | string;
    metadata?: Record<string, string> | null;
    cluster?: string | null;
  };
}

/** Cinder's `snapshot_manage.create`. */
const snapshotManageCreate = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        description: types.description,
        metadata: types.metadataAllowsNull,
        name: types.nameAllowZeroMinLength,
        volume_id: types.uuid,
        ref: { type: ['object', 'null', 'string'] },
      },
      required: ['ref', 'volume_id'],
      additionalProperties: false,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
} as const;

/** A manage-snapshot body: `ref` is any object (Cinder's schema says nothing of its keys), null or a name. */
interface ManageSnapshotBody {
  snapshot: {
    description?: string | null;
    metadata?: Record<string, string> | null;
    name?: string | null;
    volume_id: string;
    ref: Record<string, unknown> | string | null;
  };
}

const validateVolumeManage = compileSchema<ManageVolumeBody>(volumeManageCreate(false));
const validateVolumeManageV316 = compileSchema<ManageVolumeBody>(volumeManageCreate(true));
const validateSnapshotManage = compileSchema<ManageSnapshotBody>(snapshotManageCreate);

/** Cinder's `get_cluster_host`: exactly one of host and cluster (cluster only from `since`). */
function clusterHost(
  params: { host?: string | null; cluster?: string | null },
  withCluster: boolean,
): { host: string | null; cluster: string | null } {
  const cluster = withCluster ? (params.cluster ?? null) : null;
  const host = params.host ?? null;
  if (pyTruthy(cluster) === pyTruthy(host))
    throw new InvalidInput(
      withCluster ? 'One and only one of cluster and host must be set.' : 'Host field is missing.',
    );
  return { host: host || null, cluster: cluster || null };
}

/** Cinder's `get_sort_params` (default `reference`, `desc`) with the manageable lists' checks. */
function sortParams(query: Record<string, string>): { keys: string[]; dirs: string[] } {
  if ('sort' in query && ('sort_key' in query || 'sort_dir' in query))
    throw new InvalidInput(
      "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
    );
  const keys: string[] = [];
  const dirs: string[] = [];
  if ('sort' in query) {
    for (const part of query.sort.trim().split(',')) {
      const cut = part.indexOf(':');
      const key = cut < 0 ? part : part.slice(0, cut);
      const dir = cut < 0 || part.slice(cut + 1) === '' ? 'desc' : part.slice(cut + 1);
      keys.push(key.trim());
      dirs.push(dir.trim());
    }
  } else {
    keys.push((query.sort_key ?? 'reference').trim());
    dirs.push((query.sort_dir ?? 'desc').trim());
  }
  for (const k of ['sort', 'sort_key', 'sort_dir']) delete query[k];
  const badKeys = [...new Set(keys.filter((k) => k !== 'reference' && k !== 'size'))];
  if (badKeys.length) throw new InvalidParameterValue(`Invalid sort keys passed: ${badKeys.join(', ')}`);
  const badDirs = [...new Set(dirs.filter((d) => d !== 'asc' && d !== 'desc'))];
  if (badDirs.length) throw new InvalidParameterValue(`Invalid sort dirs passed: ${badDirs.join(', ')}`);
  return { keys, dirs };
}

/** Cinder's manageable views: summary or detail, one entry shape per resource. */
function volumeEntry(v: ManageableVolume, detail: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    reference: v.reference,
    size: v.size,
    safe_to_manage: v.safe_to_manage,
  };
  if (!detail) return out;
  return { ...out, reason_not_safe: v.reason_not_safe, cinder_id: v.cinder_id, extra_info: v.extra_info };
}

function snapshotEntry(s: ManageableSnapshot, detail: boolean): Record<string, unknown> {
  if (!detail)
    return {
      reference: s.reference,
      size: s.size,
      safe_to_manage: s.safe_to_manage,
      source_reference: s.source_reference,
    };
  return {
    reference: s.reference,
    size: s.size,
    safe_to_manage: s.safe_to_manage,
    reason_not_safe: s.reason_not_safe,
    extra_info: s.extra_info,
    cinder_id: s.cinder_id,
    source_reference: s.source_reference,
  };
}

export function manageableRoutes(deps: ApiDeps) {
  const api = new VolumeManageAPI(deps.core);
  const maxLimit = deps.core.config.DEFAULT.osapi_max_limit;

  /** The list's query: host or cluster (3.17+), marker/limit/offset, sort by reference or size. */
  function listArgs(req: FastifyRequest): {
    host: string | null;
    cluster: string | null;
    args: ManageableListArgs;
  } {
    const s = state(req);
    const query = { ...queryOf(req) };
    const where = clusterHost(query, s.version.gte('3.17'));
    const { keys, dirs } = sortParams(query);
    const p = takeListParams(query, maxLimit, {});
    return {
      ...where,
      args: { marker: p.marker, limit: p.limit, offset: p.offset, sort_keys: keys, sort_dirs: dirs },
    };
  }

  async function manageVolume(req: FastifyRequest, since: string | null) {
    const s = state(req);
    if (since && !s.version.gte(since)) throw new ItemNotFound();
    const withCluster = s.version.gte('3.16');
    const body = (withCluster ? validateVolumeManageV316 : validateVolumeManage)(req.body ?? null);
    authorize(s.ctx, 'volume_extension:volume_manage');
    const vol = body.volume;
    const { host, cluster } = clusterHost(vol, withCluster);
    const strip = (v: unknown) => (typeof v === 'string' && v ? v.trim() : null);
    const ref = typeof vol.ref === 'string' ? { 'source-name': vol.ref } : vol.ref;
    const created = await api.manageExisting(s.ctx, {
      host,
      cluster,
      ref,
      name: strip(vol.name),
      description: strip(vol.description),
      volumeType: vol.volume_type || null,
      metadata: vol.metadata ?? null,
      availabilityZone: vol.availability_zone ?? null,
      bootable: boolFromString(vol.bootable ?? false, true),
    });
    const imageMetadata = isAllowed(s.ctx, 'volume_extension:volume_image_metadata:show');
    return {
      volume: volumeDetailView(created, {
        version: s.version,
        isAdmin: s.ctx.isAdmin,
        links: s.links,
        extended: false,
        imageMetadata,
      }),
    };
  }

  async function listVolumes(req: FastifyRequest, detail: boolean, since: string | null) {
    const s = state(req);
    if (since && !s.version.gte(since)) throw new ItemNotFound();
    authorize(s.ctx, 'volume_extension:list_manageable');
    const { host, cluster, args } = listArgs(req);
    const entries = await api.getManageableVolumes(s.ctx, host, cluster, args);
    return { 'manageable-volumes': entries.map((e) => volumeEntry(e, detail)) };
  }

  async function manageSnapshot(req: FastifyRequest, since: string | null) {
    const s = state(req);
    if (since && !s.version.gte(since)) throw new ItemNotFound();
    const snap = validateSnapshotManage(req.body ?? null).snapshot;
    const volume = await deps.volumes.get(s.ctx, snap.volume_id);
    const created = await api.manageExistingSnapshot(s.ctx, snap.ref, volume, {
      name: snap.name ?? null,
      description: snap.description ?? null,
      metadata: snap.metadata ?? null,
    });
    return { snapshot: snapshotDetailView(created, { version: s.version, extended: false }) };
  }

  async function listSnapshots(req: FastifyRequest, detail: boolean, since: string | null) {
    const s = state(req);
    if (since && !s.version.gte(since)) throw new ItemNotFound();
    authorize(s.ctx, 'snapshot_extension:list_manageable');
    const { host, cluster, args } = listArgs(req);
    const entries = await api.getManageableSnapshots(s.ctx, host, cluster, args);
    return { 'manageable-snapshots': entries.map((e) => snapshotEntry(e, detail)) };
  }

  return async (app: FastifyInstance) => {
    for (const [path, since] of [
      ['/manageable_volumes', '3.8'],
      ['/os-volume-manage', null],
    ] as const) {
      app.post(path, async (req, reply) => reply.code(202).send(await manageVolume(req, since)));
      app.get(path, (req) => listVolumes(req, false, since));
      app.get(`${path}/detail`, (req) => listVolumes(req, true, since));
    }
    for (const [path, since] of [
      ['/manageable_snapshots', '3.8'],
      ['/os-snapshot-manage', null],
    ] as const) {
      app.post(path, async (req, reply) => reply.code(202).send(await manageSnapshot(req, since)));
      app.get(path, (req) => listSnapshots(req, false, since));
      app.get(`${path}/detail`, (req) => listSnapshots(req, true, since));
    }
  };
}
