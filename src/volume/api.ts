/**
 * The volume API (Cinder's `volume/api.py`): what the HTTP controllers call. Checks policy and the
 * request's own rules, then runs the api flow or acts on the database and casts to the services.
 */
import type { RequestContext } from '../common/context.js';
import { assertNotFrozen } from './backend-admin.js';
import type { CoreDeps } from '../common/deps.js';
import { authorize } from '../auth/policy.js';
import {
  BadRequest,
  InvalidGroup,
  InvalidInput,
  InvalidVolume,
  InvalidVolumeMetadata,
  InvalidVolumeMetadataSize,
  VolumeNotFound,
} from '../common/errors.js';
import { isIntLike } from '../common/strutils.js';
import { Engine, DynamicLogListener } from '../flow/index.js';
import { flowTraceListener } from '../flow-trace/store.js';
import type { PageRequest } from '../db/api/common.js';
import {
  snapshotConditionalUpdate,
  snapshotsForVolume,
  volumeConditionalUpdateGuarded,
  type SnapshotGuard,
} from '../db/api/snapshots.js';
import {
  volumeConditionalUpdate,
  volumeGet,
  volumeGetAll,
  volumeMetadataDelete,
  volumeMetadataUpdate,
  volumeSummary,
  volumeUpdate,
  MarkerNotFound,
  type VolumeFilters,
  type VolumeRecord,
} from '../db/api/volumes.js';
import { serviceGetAll } from '../db/api/services.js';
import { ENCRYPTION_FIELDS, volumeTypeEncryptionGet } from '../db/api/volume-type-encryption.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import { AvailabilityZones } from './availability-zones.js';
import { getFlow, type CreateVolumeRequest } from './flows/api/create-volume.js';
import { VolumeRPCAPI } from './rpcapi.js';
import { destroyVolumeReleasingQuota } from './volume-destroy.js';
import { getDefaultVolumeType } from './volume-types.js';
import { VolumeMetadataNotFound } from '../common/errors.js';
import type { GlanceImageService } from '../image/index.js';
import { imageServiceFromConfig } from '../image/image-service.js';
import { evictImageCacheEntryOfVolume } from './image-cache-entries.js';

/** Statuses a volume may be deleted from (without force). */
const DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'] as const;

/** Cinder's `check_metadata_properties`. */
export function checkMetadataProperties(metadata: unknown): void {
  if (metadata === null || metadata === undefined) return;
  if (typeof metadata !== 'object' || Array.isArray(metadata))
    throw new InvalidVolumeMetadata('Metadata type should be dict.');
  for (const [k, v] of Object.entries(metadata as Record<string, unknown>)) {
    if (k.length === 0) throw new InvalidVolumeMetadata('Metadata property key blank.');
    if (k.length > 255)
      throw new InvalidVolumeMetadataSize(`Metadata property key ${k} greater than 255 characters.`);
    if (typeof v === 'string' && v.length > 255)
      throw new InvalidVolumeMetadataSize(`Metadata property key ${k} value greater than 255 characters.`);
  }
}

/**
 * A volume created in a group (not as part of creating the group from a source) must name one of
 * the group's volume types, and the group must be `available` or `creating` (Cinder's checks).
 */
function checkGroupTakesType(
  group: NonNullable<CreateVolumeRequest['group']>,
  type: { id: string } | null,
): void {
  if (!type) throw new InvalidInput('volume_type must be provided when creating a volume in a group.');
  if (group.volume_type_ids && !group.volume_type_ids.includes(type.id))
    throw new InvalidInput(
      `Invalid volume_type provided: ${type.id} (requested type must be supported by this group).`,
    );
  if (group.status && !['available', 'creating'].includes(group.status))
    throw new InvalidGroup("Originating group status must be one of 'available, creating' values");
}

export class VolumeAPI {
  readonly azs: AvailabilityZones;
  readonly #scheduler: SchedulerRPCAPI;
  readonly #volumeRpc: VolumeRPCAPI;

  /** Glance, for volumes made from images (null: none configured). */
  readonly images: GlanceImageService | null;

  constructor(private readonly deps: CoreDeps) {
    this.images = imageServiceFromConfig(deps.config, { log: deps.log });
    this.azs = new AvailabilityZones(deps.dbh.db, deps.config.DEFAULT);
    this.#scheduler = new SchedulerRPCAPI(deps.transport);
    this.#volumeRpc = new VolumeRPCAPI(deps.transport);
  }

  /** `API.create`: the pre-flow checks, then the api flow; returns the new row (`creating`). */
  async create(ctx: RequestContext, req: Omit<CreateVolumeRequest, 'context'>): Promise<VolumeRecord> {
    authorize(ctx, req.image_id ? 'volume:create_from_image' : 'volume:create', ctx.projectId);
    if (req.size !== null && req.size !== undefined && (!isIntLike(req.size) || Number(req.size) <= 0)) {
      throw new InvalidInput(
        `Invalid volume size provided for create request: ${String(req.size)} (size argument must be an integer (or string representation of an integer) and greater than zero).`,
      );
    }
    const type =
      req.volume_type ??
      (req.snapshot || req.source_volume
        ? null
        : await getDefaultVolumeType(this.deps.dbh.db, ctx, this.deps.config.DEFAULT.default_volume_type));
    if (type && req.size !== null && req.size !== undefined)
      this.#checkTypeSizeLimits(Number(req.size), type.name, type.extra_specs);
    if (req.group && !req.defer_cast) checkGroupTakesType(req.group, req.volume_type);
    await this.#checkSourceTypeCompatible(req);
    checkMetadataProperties(req.metadata);

    // NOTE: the default type resolved here is handed to the flow so it is not looked up twice —
    // but not with an image, whose cinder_img_volume_type comes before the default: Cinder checks
    // the size limits above against the default type and leaves the flow's type unset.
    const flowType = req.volume_type ?? (req.image_id ? null : type);
    const flow = getFlow(this.deps, this.azs, this.#scheduler, this.images);
    // NOTE: the row (and so the trace's volume) exists once EntryCreateTask has run.
    const made = () => engine.storage.get('volume') as VolumeRecord | undefined;
    const trace = flowTraceListener(this.deps, flow, {
      volumeId: () => made()?.id,
      projectId: () => made()?.project_id,
      requestId: ctx.requestId,
      host: this.deps.config.DEFAULT.host,
    });
    const engine: Engine = new Engine(flow, { ...req, volume_type: flowType, context: ctx }, [
      new DynamicLogListener(this.deps.log.child({ request_id: ctx.requestId })),
      trace,
    ]);
    await engine.run();
    return engine.fetch<VolumeRecord>('volume');
  }

  /**
   * A type asked for with a source volume or snapshot must be one the source could be retyped to
   * (Cinder's `_retype_is_possible`): same encryption, and either a single disabled volume
   * service (Cinder's own quirk) or the same `volume_backend_name` in both types.
   */
  async #checkSourceTypeCompatible(req: Omit<CreateVolumeRequest, 'context'>): Promise<void> {
    const type = req.volume_type;
    if (!type) return;
    const db = this.deps.dbh.db;
    if (req.source_volume && type.id !== req.source_volume.volume_type_id) {
      if (!(await this.#retypeIsPossible(req.source_volume.volume_type_id, type)))
        throw new InvalidInput(
          `Invalid volume_type provided: ${type.id} (requested type is not compatible; either match source volume, or omit type argument).`,
        );
    }
    if (req.snapshot && type.id !== req.snapshot.volume_type_id) {
      const origin = await volumeGet(db, req.snapshot.volume_id);
      if (!(await this.#retypeIsPossible(origin?.volume_type_id ?? null, type)))
        throw new InvalidInput(
          `Invalid volume_type provided: ${type.id} (requested type is not compatible; recommend omitting the type argument).`,
        );
    }
  }

  async #retypeIsPossible(
    sourceTypeId: string | null,
    target: { id: string; extra_specs: Record<string, string> },
  ) {
    const db = this.deps.dbh.db;
    const encryption = async (id: string | null) => {
      const e = id ? await volumeTypeEncryptionGet(db, id) : null;
      return e ? JSON.stringify(ENCRYPTION_FIELDS.map((f) => e[f])) : null;
    };
    if ((await encryption(sourceTypeId)) !== (await encryption(target.id))) return false;
    const disabled = (await serviceGetAll(db, { binary: 'cinder-volume' })).filter((s) => s.disabled);
    if (disabled.length === 1) return true;
    const source = sourceTypeId ? await volumeTypeGet(db, sourceTypeId, true) : null;
    const a = source?.extra_specs.volume_backend_name;
    const b = target.extra_specs.volume_backend_name;
    return Boolean(a && b && a === b);
  }

  #checkTypeSizeLimits(size: number, typeName: string, specs: Record<string, string>): void {
    const min = specs['provisioning:min_vol_size'];
    const max = specs['provisioning:max_vol_size'];
    if (min !== undefined && isIntLike(min) && size < Number(min))
      throw new InvalidInput(
        `Specified volume size of '${size}' is less than the minimum required size of '${min}' for volume type '${typeName}'.`,
      );
    if (max !== undefined && isIntLike(max) && size > Number(max))
      throw new InvalidInput(
        `Specified volume size of '${size}' is greater than the maximum allowable size of '${max}' for volume type '${typeName}'.`,
      );
  }

  /** A volume the caller may see, or 404. */
  async get(ctx: RequestContext, id: string): Promise<VolumeRecord> {
    const v = await volumeGet(this.deps.dbh.db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!v) throw new VolumeNotFound(id);
    authorize(ctx, 'volume:get', v.project_id);
    return v;
  }

  /** A page of volumes; a marker naming none is `BadRequest`. */
  async getAll(ctx: RequestContext, filters: VolumeFilters, page: PageRequest): Promise<VolumeRecord[]> {
    authorize(ctx, 'volume:get_all');
    try {
      return await volumeGetAll(this.deps.dbh.db, filters, page);
    } catch (e) {
      if (e instanceof MarkerNotFound) throw new BadRequest(`Marker ${e.marker} could not be found.`);
      throw e;
    }
  }

  async summary(
    ctx: RequestContext,
    filters: VolumeFilters,
  ): Promise<{ count: number; size: number; metadata: Record<string, string[]> }> {
    authorize(ctx, 'volume:get_all');
    const { count, size } = await volumeSummary(this.deps.dbh.db, filters);
    const metadata: Record<string, string[]> = {};
    for (const v of await volumeGetAll(this.deps.dbh.db, filters, {})) {
      for (const [k, val] of Object.entries(v.metadata)) {
        const list = (metadata[k] ??= []);
        if (!list.includes(val)) list.push(val);
      }
    }
    return { count, size, metadata };
  }

  /** Name, description and metadata updates (`PUT /volumes/{id}`). */
  async update(
    ctx: RequestContext,
    v: VolumeRecord,
    fields: {
      display_name?: string | null;
      display_description?: string | null;
      metadata?: Record<string, string>;
    },
  ): Promise<VolumeRecord> {
    authorize(ctx, 'volume:update', v.project_id);
    if (fields.metadata !== undefined) {
      checkMetadataProperties(fields.metadata);
      await volumeMetadataUpdate(this.deps.dbh.db, v.id, fields.metadata, true);
    }
    const cols: Partial<VolumeRecord> = {};
    if (fields.display_name !== undefined) cols.display_name = fields.display_name;
    if (fields.display_description !== undefined) cols.display_description = fields.display_description;
    if (Object.keys(cols).length) await volumeUpdate(this.deps.dbh.db, v.id, cols);
    await this.deps.notifier.notify(`volume.${this.deps.config.DEFAULT.host}`, 'volume.update.end', {
      volume_id: v.id,
      tenant_id: v.project_id,
      ...cols,
    });
    return (await volumeGet(this.deps.dbh.db, v.id))!;
  }

  /**
   * `API.delete`: moves the volume to `deleting` (compare-and-swap on its status) and casts to
   * its backend; a volume never scheduled is removed here, its quota released at once.
   */
  async delete(
    ctx: RequestContext,
    v: VolumeRecord,
    opts: { cascade: boolean; force: boolean },
  ): Promise<void> {
    authorize(ctx, opts.force ? 'volume:force_delete' : 'volume:delete', v.project_id);
    const db = this.deps.dbh.db;
    if (v.host) await assertNotFrozen(db, v);
    const expected: Parameters<typeof volumeConditionalUpdate>[3] = {
      attach_status: ['detached'],
      migration_status: [null, 'deleting', 'error', 'success'],
      // A group's volume goes with its group (`POST /groups/{id}/action` `delete`).
      group_id: [null],
    };
    if (!opts.force) expected.status = [...DELETABLE];
    // Cinder's delete filters: no snapshots at all; with cascade, none that cannot be deleted (and,
    // for a non-admin, none of another project); with cascade and force, anything goes.
    const guard: SnapshotGuard = !opts.cascade
      ? 'any'
      : opts.force
        ? 'none'
        : ctx.isAdmin
          ? 'undeletable'
          : 'undeletable_or_foreign';
    const ok = await volumeConditionalUpdateGuarded(
      db,
      v.id,
      { status: 'deleting', previous_status: v.status, terminated_at: null },
      expected,
      guard,
    );
    if (!ok) {
      const status = opts.force ? '' : `status must be ${DELETABLE.join(' or ')} and`;
      throw new InvalidVolume(
        `Volume ${status} must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.`,
      );
    }
    if (opts.cascade) await this.#markSnapshotsDeleting(v, opts.force);
    // A volume of the image-volume cache leaves the cache (Cinder's `cache.evict`).
    await evictImageCacheEntryOfVolume(this.deps, ctx, v.id);
    if (!v.host) {
      // Never reached a backend: nothing to remove on storage.
      await this.#finishLocalDelete(ctx, v);
      return;
    }
    await this.#volumeRpc.deleteVolume(
      ctx,
      { host: v.host, cluster_name: v.cluster_name },
      { volume_id: v.id, cascade: opts.cascade },
    );
  }

  /**
   * Cascade: every snapshot of the volume goes to `deleting` (from `available`/`error`/`deleting`
   * unless forced); the volume service deletes them before the volume. One that cannot be moved
   * leaves the volume in `error_deleting`.
   */
  async #markSnapshotsDeleting(v: VolumeRecord, force: boolean): Promise<void> {
    const db = this.deps.dbh.db;
    const expected = force ? {} : { status: ['available', 'error', 'deleting'] };
    for (const s of await snapshotsForVolume(db, v.id)) {
      if (!(await snapshotConditionalUpdate(db, s.id, { status: 'deleting' }, expected))) {
        await volumeUpdate(db, v.id, { status: 'error_deleting' });
        throw new InvalidVolume('Failed to update snapshot.');
      }
    }
  }

  async #finishLocalDelete(ctx: RequestContext, v: VolumeRecord): Promise<void> {
    await destroyVolumeReleasingQuota(this.deps, v);
    await this.deps.notifier.notify(`volume.${this.deps.config.DEFAULT.host}`, 'volume.delete.end', {
      volume_id: v.id,
      tenant_id: v.project_id,
      request_id: ctx.requestId,
    });
  }

  // ---- metadata ----

  async getMetadata(ctx: RequestContext, v: VolumeRecord): Promise<Record<string, string>> {
    authorize(ctx, 'volume:get_volume_metadata', v.project_id);
    return v.metadata;
  }

  /** Merge (`replace=false`) or replace all (`replace=true`) user metadata. */
  async updateMetadata(
    ctx: RequestContext,
    v: VolumeRecord,
    meta: Record<string, string>,
    replace: boolean,
  ): Promise<Record<string, string>> {
    authorize(ctx, replace ? 'volume:update_volume_metadata' : 'volume:create_volume_metadata', v.project_id);
    if (v.status === 'maintenance')
      throw new InvalidVolume(
        'The volume metadata cannot be updated when the volume is in maintenance mode.',
      );
    checkMetadataProperties(meta);
    return volumeMetadataUpdate(this.deps.dbh.db, v.id, meta, replace);
  }

  async deleteMetadataKey(ctx: RequestContext, v: VolumeRecord, key: string): Promise<void> {
    authorize(ctx, 'volume:delete_volume_metadata', v.project_id);
    if (v.status === 'maintenance')
      throw new InvalidVolume(
        'The volume metadata cannot be deleted when the volume is in maintenance mode.',
      );
    if (!(await volumeMetadataDelete(this.deps.dbh.db, v.id, key)))
      throw new VolumeMetadataNotFound(v.id, key);
  }
}
