/**
 * The snapshot half of the volume API (Cinder's `volume/api.py` `*_snapshot*` methods): policy and
 * status rules, the row in `creating` with its quota reserved and committed, and the casts to the
 * volume's backend, which does the rest (src/volume/snapshot-manager.ts).
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { authorize } from '../auth/policy.js';
import {
  BadRequest,
  CinderError,
  InvalidSnapshot,
  InvalidVolume,
  SnapshotMetadataNotFound,
  SnapshotNotFound,
} from '../common/errors.js';
import { newUuid } from '../common/uuid.js';
import type { PageRequest } from '../db/api/common.js';
import {
  snapshotConditionalUpdate,
  snapshotCount,
  snapshotCreate,
  snapshotDestroy,
  snapshotGet,
  snapshotGetAll,
  snapshotMetadataDelete,
  snapshotMetadataUpdate,
  snapshotUpdate,
  type SnapshotFilters,
  type SnapshotRecord,
} from '../db/api/snapshots.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import { MarkerNotFound, volumeGet, type VolumeRecord } from '../db/api/volumes.js';
import { volumeAvailabilityZoneGet } from '../db/api/volume-service-queries.js';
import { workerFinish } from '../db/api/workers.js';
import { isoNow } from '../common/time.js';
import { OverQuota, overQuotaToError } from '../quota/over-quota.js';
import { assertNotFrozen } from './backend-admin.js';
import { VolumeRPCAPI } from './rpcapi.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import { destroySnapshotReleasingQuota } from './snapshot-destroy.js';
import { snapshotDeltas } from './snapshot-quota.js';
import { snapshotUsagePayload } from './snapshot-usage.js';

/** Migration statuses of a volume that is not being migrated (`AVAILABLE_MIGRATION_STATUS`). */
const NOT_MIGRATING: readonly (string | null)[] = [null, 'deleting', 'error', 'success'];

/** Every snapshot status (`fields.SnapshotStatus.ALL`), in Cinder's order. */
export const SNAPSHOT_STATUSES = [
  'error',
  'available',
  'creating',
  'deleting',
  'deleted',
  'updating',
  'error_deleting',
  'unmanaging',
  'backing-up',
  'restoring',
] as const;

/** 413 with the plain message (webob's HTTPRequestEntityTooLarge, no class-name prefix). */
export class RequestEntityTooLarge extends CinderError {
  override readonly code: number = 413;
}

/** Python `len()` of a string: code points, not UTF-16 units. */
function pyLen(text: string): number {
  return [...text].length;
}

/**
 * Cinder's `utils.check_metadata_properties` as the snapshot APIs apply it (no schema ran before):
 * keys non-empty strings, values strings; more than 255 characters is a size error (413).
 */
export function checkSnapshotMetadata(metadata: unknown): void {
  if (metadata === null || metadata === undefined) return;
  if (typeof metadata !== 'object' || Array.isArray(metadata))
    throw new BadRequest('Invalid input received: Metadata should be a dict.');
  const invalid = (reason: string) => new BadRequest(`Invalid metadata: Invalid input received: ${reason}`);
  for (const [k, v] of Object.entries(metadata as Record<string, unknown>)) {
    if (pyLen(k) < 1) throw invalid(`Metadata key: ${k} has 0 characters, less than 1.`);
    if (typeof v !== 'string') throw invalid(`Value for metadata key: ${k} is not a string or unicode`);
    if (pyLen(k) > 255)
      throw new RequestEntityTooLarge(
        `Invalid metadata size: Metadata property key ${k} greater than 255 characters.`,
      );
    if (pyLen(v) > 255)
      throw new RequestEntityTooLarge(
        `Invalid metadata size: Metadata property key ${k} value greater than 255 characters.`,
      );
  }
}

/** What `POST /snapshots` asks for. */
export interface CreateSnapshotRequest {
  name: string | null;
  description: string | null;
  metadata: Record<string, string> | null;
  /** `force=true`: an `in-use` volume may be snapshotted. */
  force: boolean;
  /** 3.66+: `in-use` volumes are allowed without `force`. */
  allowInUse: boolean;
}

export class SnapshotAPI {
  readonly #volumeRpc: VolumeRPCAPI;
  readonly #schedulerRpc: SchedulerRPCAPI;

  constructor(private readonly deps: CoreDeps) {
    this.#volumeRpc = new VolumeRPCAPI(deps.transport);
    this.#schedulerRpc = new SchedulerRPCAPI(deps.transport);
  }

  get #db() {
    return this.deps.dbh.db;
  }

  /** A snapshot the caller may see, or 404 (`get_snapshot`). */
  async get(ctx: RequestContext, id: string): Promise<SnapshotRecord> {
    const s = await snapshotGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!s) throw new SnapshotNotFound(id);
    authorize(ctx, 'volume:get_snapshot', s.project_id);
    return s;
  }

  /** A page of snapshots; a marker naming none is `SnapshotNotFound`. */
  async getAll(ctx: RequestContext, filters: SnapshotFilters, page: PageRequest): Promise<SnapshotRecord[]> {
    authorize(ctx, 'volume:get_all_snapshots');
    try {
      return await snapshotGetAll(this.#db, filters, page);
    } catch (e) {
      if (e instanceof MarkerNotFound) throw new SnapshotNotFound(e.marker);
      throw e;
    }
  }

  async count(ctx: RequestContext, filters: SnapshotFilters): Promise<number> {
    authorize(ctx, 'volume:get_all_snapshots');
    return snapshotCount(this.#db, filters);
  }

  /**
   * `create_snapshot` / `create_snapshot_force`: checks the volume, reserves `snapshots` and
   * `gigabytes` (and the type's keys), writes the row in `creating`, re-checks the volume, commits,
   * and casts `create_snapshot` to the volume's backend.
   */
  async create(
    ctx: RequestContext,
    volume: VolumeRecord,
    req: CreateSnapshotRequest,
  ): Promise<SnapshotRecord> {
    await assertNotFrozen(this.#db, volume);
    const snapshot = await this.createInDb(ctx, volume, req);
    try {
      // NOTE: through the scheduler, as Cinder: the volume's backend must still have room.
      await this.#schedulerRpc.createSnapshot(ctx, {
        snapshot_id: snapshot.id,
        volume_id: volume.id,
        backend: volume.cluster_name || volume.host!,
        request_spec: {
          volume_id: '',
          snapshot_id: snapshot.id,
          volume_properties: { size: volume.size },
        },
      });
    } catch (e) {
      // NOTE: the quota stays committed: deleting the `error` snapshot gives it back.
      await snapshotUpdate(this.#db, snapshot.id, { status: 'error' });
      throw e;
    }
    return snapshot;
  }

  /**
   * `create_snapshot_in_db` (with `commit_quota`): checks the volume, reserves the quota, writes the
   * row in `creating`, re-checks the volume and commits. Nothing is cast (a manage casts its own).
   */
  async createInDb(
    ctx: RequestContext,
    volume: VolumeRecord,
    req: CreateSnapshotRequest,
  ): Promise<SnapshotRecord> {
    this.#validateVolumeForSnapshot(ctx, volume);
    checkSnapshotMetadata(req.metadata);
    const valid = req.force || req.allowInUse ? ['available', 'in-use'] : ['available'];
    const statusError = (status: string, sep: string) =>
      new InvalidVolume(
        `Volume ${volume.id} status must be ${valid.join(', ')}${sep}but current status is: ${status}.`,
      );
    if (!valid.includes(volume.status)) throw statusError(volume.status, ', ');

    const projectId = ctx.projectId!;
    const type = await volumeTypeGet(this.#db, volume.volume_type_id, true);
    const deltas = snapshotDeltas(volume.size, type?.name ?? null);
    let reservations: string[];
    try {
      reservations = await this.deps.quotas.reserve(projectId, deltas);
    } catch (e) {
      if (e instanceof OverQuota) throw overQuotaToError(e, deltas);
      throw e;
    }
    let snapshot: SnapshotRecord | null = null;
    try {
      snapshot = await snapshotCreate(this.#db, {
        id: newUuid(),
        volume_id: volume.id,
        user_id: ctx.userId,
        project_id: ctx.projectId,
        status: 'creating',
        progress: '0%',
        volume_size: volume.size,
        display_name: req.name,
        display_description: req.description,
        volume_type_id: volume.volume_type_id,
        provider_location: null,
        use_quota: 1,
        created_at: isoNow(),
        metadata: req.metadata ?? {},
      });
      // NOTE: the volume may have changed while the row was written (Cinder re-reads it too).
      const now = await volumeGet(this.#db, volume.id);
      // NOTE: Cinder's second message has a space before its comma.
      if (!now || !valid.includes(now.status)) throw statusError(now?.status ?? 'deleted', ' , ');
      await this.deps.quotas.commit(reservations);
    } catch (e) {
      try {
        if (snapshot) await snapshotDestroy(this.#db, snapshot.id);
      } finally {
        await this.deps.quotas.rollback(reservations);
      }
      throw e;
    }
    return snapshot;
  }

  /** `_create_snapshot_in_db_validate`. */
  #validateVolumeForSnapshot(ctx: RequestContext, volume: VolumeRecord): void {
    authorize(ctx, 'volume:create_snapshot', volume.project_id);
    if (!volume.host)
      throw new InvalidVolume(
        'The snapshot cannot be created because volume has not been scheduled to any host.',
      );
    if (volume.status === 'maintenance')
      throw new InvalidVolume('The snapshot cannot be created when the volume is in maintenance mode.');
    if (!NOT_MIGRATING.includes(volume.migration_status))
      throw new InvalidVolume('Snapshot cannot be created while volume is migrating.');
    if (volume.status === 'error')
      throw new InvalidVolume('The snapshot cannot be created when the volume is in error status.');
    if (volume.status.startsWith('replica_'))
      throw new InvalidVolume('Snapshot of secondary replica is not allowed.');
  }

  /** `update_snapshot`: name/description, with `snapshot.update.start/end`. */
  async update(
    ctx: RequestContext,
    s: SnapshotRecord,
    fields: { display_name?: string | null; display_description?: string | null },
  ): Promise<SnapshotRecord> {
    await this.#notify(s, 'update.start');
    authorize(ctx, 'volume:update_snapshot', s.project_id);
    await snapshotUpdate(this.#db, s.id, fields);
    const updated = (await snapshotGet(this.#db, s.id)) ?? { ...s, ...fields };
    await this.#notify(updated, 'update.end');
    return updated;
  }

  /**
   * `delete_snapshot`: `deleting` by compare-and-swap on the status (any status with `force`),
   * then `delete_snapshot` is cast to the volume's backend.
   */
  async delete(
    ctx: RequestContext,
    s: SnapshotRecord,
    opts: { force: boolean } = { force: false },
  ): Promise<void> {
    authorize(ctx, 'volume:delete_snapshot', s.project_id);
    const volume = await volumeGet(this.#db, s.volume_id);
    if (volume) await assertNotFrozen(this.#db, volume);
    // A snapshot taken for a group snapshot goes with it (`DELETE /group_snapshots/{id}`).
    const expected = opts.force
      ? { group_snapshot_id: [null] }
      : { status: ['available', 'error'], group_snapshot_id: [null] };
    if (!(await snapshotConditionalUpdate(this.#db, s.id, { status: 'deleting' }, expected))) {
      const status = opts.force ? '' : 'status must be available or error and';
      throw new InvalidSnapshot(`Snapshot ${status} must not be part of a group.`);
    }
    if (!volume?.host) {
      // NOTE: no backend can hold it; nothing on storage to remove.
      await destroySnapshotReleasingQuota(this.deps, s);
      return;
    }
    await this.#volumeRpc.deleteSnapshot(
      ctx,
      { host: volume.host, cluster_name: volume.cluster_name },
      {
        snapshot_id: s.id,
        volume_id: s.volume_id,
      },
    );
  }

  // ---- admin and service actions ----

  /** `os-reset_status` (admin): sets any known status; drops the snapshot's cleanup worker. */
  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    const s = await snapshotGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!s) throw new SnapshotNotFound(id);
    authorize(ctx, 'volume_extension:snapshot_admin_actions:reset_status', s.project_id);
    await this.#notify(s, 'reset_status.start');
    await snapshotUpdate(this.#db, id, { status });
    await workerFinish(this.#db, 'Snapshot', id);
    await this.#notify({ ...s, status }, 'reset_status.end');
  }

  /** `os-force_delete` (admin): delete whatever the status. */
  async forceDelete(ctx: RequestContext, id: string): Promise<void> {
    const s = await this.get(ctx, id);
    authorize(ctx, 'volume_extension:snapshot_admin_actions:force_delete', s.project_id);
    await this.delete(ctx, s, { force: true });
  }

  /**
   * `os-update_snapshot_status` (for drivers that create snapshots out of band): `creating` may
   * become `creating`/`available`/`error`, `deleting` may become `deleting`/`error_deleting`.
   */
  async updateSnapshotStatus(
    ctx: RequestContext,
    id: string,
    status: string,
    progress: unknown,
  ): Promise<void> {
    const s = await snapshotGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
    if (!s) throw new SnapshotNotFound(id);
    authorize(ctx, 'snapshot_extension:snapshot_actions:update_snapshot_status', s.project_id);
    const allowed: Record<string, string[]> = {
      creating: ['creating', 'available', 'error'],
      deleting: ['deleting', 'error_deleting'],
    };
    const next = allowed[s.status];
    if (!next) throw new BadRequest(`Snapshot status ${s.status} not allowed for update_snapshot_status`);
    if (!next.includes(status))
      throw new BadRequest(
        `Provided snapshot status ${status} not allowed for snapshot with status ${s.status}.`,
      );
    const values: { status: string; progress?: string } = { status };
    if (typeof progress === 'string' && progress) values.progress = progress;
    await snapshotUpdate(this.#db, id, values);
  }

  // ---- metadata ----

  async getMetadata(ctx: RequestContext, s: SnapshotRecord): Promise<Record<string, string>> {
    authorize(ctx, 'volume:get_snapshot_metadata', s.project_id);
    return s.metadata;
  }

  /** Merge (`replace=false`) or replace all (`replace=true`); the result is checked as a whole. */
  async updateMetadata(
    ctx: RequestContext,
    s: SnapshotRecord,
    meta: Record<string, string>,
    replace: boolean,
  ): Promise<Record<string, string>> {
    authorize(ctx, 'volume:update_snapshot_metadata', s.project_id);
    const result = replace ? meta : { ...s.metadata, ...meta };
    checkSnapshotMetadata(result);
    return snapshotMetadataUpdate(this.#db, s.id, meta, replace);
  }

  async deleteMetadataKey(ctx: RequestContext, s: SnapshotRecord, key: string): Promise<void> {
    if (!Object.hasOwn(s.metadata, key)) throw new SnapshotMetadataNotFound(s.id, key);
    authorize(ctx, 'volume:delete_snapshot_metadata', s.project_id);
    await snapshotMetadataDelete(this.#db, s.id, key);
  }

  async #notify(s: SnapshotRecord, event: string): Promise<void> {
    const volume = await volumeAvailabilityZoneGet(this.#db, s.volume_id);
    await this.deps.notifier.notify(
      `snapshot.${this.deps.config.DEFAULT.host}`,
      `snapshot.${event}`,
      snapshotUsagePayload(s, volume ?? null),
    );
  }
}
