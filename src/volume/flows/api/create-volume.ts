/**
 * The api side of create-volume (Cinder's `volume/flows/api/create_volume.py`, flow
 * `volume:create_api`): validate and complete the request, reserve quota, write the row in
 * `creating`, commit quota, and cast to the scheduler. Tasks are listed in the order they run, the first
 * (ExtractVolumeRequestTask, with the request type) in extract-volume-request.ts; `getFlow()` at
 * the bottom assembles them.
 */
import { Task, LinearFlow, type RevertOutcome } from '../../../flow/index.js';
import type { RequestContext } from '../../../common/context.js';
import type { CoreDeps } from '../../../common/deps.js';
import { newUuid } from '../../../common/uuid.js';
import type { VolumeTypeRecord } from '../../../db/api/volume-types.js';
import {
  volumeConditionalUpdate,
  NEW_VOLUME_DEFAULTS,
  volumeCreate,
  volumeGet,
  volumeUpdate,
  type VolumeRecord,
  type VolumeCreateValues,
} from '../../../db/api/volumes.js';
import { withDeadlockRetry } from '../../../db/retry.js';
import { isoNow } from '../../../common/time.js';
import { overQuotaToError, OverQuota } from '../../../quota/over-quota.js';
import { volumeDeltas } from '../../../quota/resources.js';
import {
  commitVolumeQuota,
  discardVolumeIfQuotaPending,
  pendingQuotaMetadata,
} from '../../../quota/volume-reservations.js';
import type { SchedulerRPCAPI } from '../../../scheduler/rpcapi.js';
import type { RequestSpec } from '../../../scheduler/types.js';
import type { AvailabilityZones } from '../../availability-zones.js';
import {
  ExtractVolumeRequestTask,
  type CreateVolumeRequest,
  type ExtractedRequest,
  type ImageShow,
} from './extract-volume-request.js';

export {
  ExtractVolumeRequestTask,
  type CreateVolumeRequest,
  type ExtractedRequest,
  type ImageShow,
} from './extract-volume-request.js';

// ---- 2. QuotaReserveTask ------------------------------------------------------------------------

type ReserveInputs = { context: RequestContext; size: number; volume_type: VolumeTypeRecord };

/**
 * Checks the per-volume size limit and reserves `volumes=1`, `gigabytes=size` and the type's own
 * keys. Over quota → 413 with Cinder's message.
 * Revert: rolls the reservation back.
 */
export class QuotaReserveTask extends Task<ReserveInputs, string[]> {
  constructor(private readonly deps: CoreDeps) {
    super({ requires: ['context', 'size', 'volume_type'], provides: ['reservations'] });
  }

  async execute({ context, size, volume_type }: ReserveInputs): Promise<string[]> {
    const projectId = context.projectId!;
    const deltas = volumeDeltas(size, volume_type.name);
    try {
      return await this.deps.quotas.reserve(projectId, deltas, { perVolumeGigabytes: size });
    } catch (e) {
      if (e instanceof OverQuota) throw overQuotaToError(e, deltas);
      throw e;
    }
  }

  override async revert(_i: ReserveInputs, { result }: RevertOutcome<string[]>): Promise<void> {
    if (result) await this.deps.quotas.rollback(result);
  }
}

// ---- 3. EntryCreateTask -------------------------------------------------------------------------

type EntryInputs = CreateVolumeRequest &
  ExtractedRequest & { reservations: string[]; volume_type: VolumeTypeRecord };

/**
 * The record of a volume row just written with `values`: the row is exactly what was written, so
 * it is built instead of read back (no attachments yet; admin metadata is not part of a record).
 */
export function createdVolumeRecord(values: VolumeCreateValues, volumeTypeName: string): VolumeRecord {
  const { metadata, admin_metadata: _admin, created_at, ...row } = values;
  return {
    ...row,
    metadata: { ...metadata },
    volume_type_name: volumeTypeName,
    volume_attachment: [],
    created_at: created_at!,
    updated_at: null,
    deleted_at: null,
    deleted: 0,
  };
}

/**
 * Writes the volume row in `creating` (with its metadata and a note of its uncommitted
 * reservations, in one transaction), owned by the caller's project.
 * Revert: destroys the row and rolls its reservations back, unless quota was already committed
 * (then the row is kept and set to `error` by VolumeCastTask's revert, so the user sees what
 * happened).
 */
export class EntryCreateTask extends Task<EntryInputs, VolumeRecord> {
  constructor(private readonly deps: CoreDeps) {
    super({
      requires: [
        'context',
        'reservations',
        'size',
        'name',
        'description',
        'metadata',
        'volume_type',
        'volume_type_id',
        'availability_zones',
        'multiattach',
        'replication_status',
        'encryption_key_id',
        'snapshot_id',
        'source_volid',
        'backup_id',
        'group_id',
        'source_volume',
        'snapshot',
      ],
      provides: ['volume'],
    });
  }

  async execute(i: EntryInputs): Promise<VolumeRecord> {
    const id = newUuid();
    const db = this.deps.dbh.db;
    const values: VolumeCreateValues = {
      ...NEW_VOLUME_DEFAULTS,
      id,
      created_at: isoNow(),
      user_id: i.context.userId,
      project_id: i.context.projectId,
      size: i.size,
      availability_zone: i.availability_zones.length === 1 ? i.availability_zones[0]! : null,
      status: 'creating',
      display_name: i.name,
      display_description: i.description,
      snapshot_id: i.snapshot_id,
      source_volid: i.source_volid,
      backup_id: i.backup_id,
      volume_type_id: i.volume_type_id,
      encryption_key_id: i.encryption_key_id,
      group_id: i.group_id,
      bootable: await this.#bootable(i),
      multiattach: i.multiattach ? 1 : 0,
      replication_status: i.replication_status,
      shared_targets: 1,
      metadata: i.metadata,
    };
    // NOTE: the row, its metadata and the note of its uncommitted reservations are written
    // together: a process killed before QuotaCommitTask leaves a row whose quota the scheduler
    // can still commit (src/quota/volume-reservations.ts), or no row at all.
    await withDeadlockRetry(() =>
      db
        .transaction()
        .execute((trx) =>
          volumeCreate(trx, { ...values, admin_metadata: pendingQuotaMetadata(i.reservations) }),
        ),
    );
    return createdVolumeRecord(values, i.volume_type.name);
  }

  /** A clone starts bootable when its source volume (or the snapshot's volume) is. */
  async #bootable(i: EntryInputs): Promise<0 | 1> {
    if (i.source_volume) return i.source_volume.bootable;
    if (i.snapshot) return (await volumeGet(this.deps.dbh.db, i.snapshot.volume_id))?.bootable ?? 0;
    return 0;
  }

  override async revert(_i: EntryInputs, { result }: RevertOutcome<VolumeRecord>): Promise<void> {
    if (!result) return;
    // NOTE: once its quota is committed the row stays (VolumeCastTask's revert sets it `error`);
    // before that, the row and its reservations go together.
    await discardVolumeIfQuotaPending(this.deps, result.id);
  }
}

// ---- 4. QuotaCommitTask -------------------------------------------------------------------------

type CommitInputs = {
  context: RequestContext;
  reservations: string[];
  volume: VolumeRecord;
  volume_type: VolumeTypeRecord;
};

/**
 * Commits the reservation (the one EntryCreateTask noted on the row, and drops the note in the
 * same transaction): the volume now counts as used.
 * Revert: gives the usage back, and marks the row kept in `error` as not counted
 * (`use_quota = 0`), in one transaction, so deleting it later releases nothing twice.
 */
export class QuotaCommitTask extends Task<CommitInputs, boolean> {
  constructor(private readonly deps: CoreDeps) {
    super({ requires: ['context', 'reservations', 'volume', 'volume_type'], provides: ['quota_committed'] });
  }

  async execute({ volume }: CommitInputs): Promise<boolean> {
    // NOTE: false only when the scheduler's sweep got there first; committed either way.
    await commitVolumeQuota(this.deps, volume.id);
    return true;
  }

  override async revert(
    { context, volume, volume_type }: CommitInputs,
    { result }: RevertOutcome<boolean>,
  ): Promise<void> {
    if (!result) return;
    const db = this.deps.dbh.db;
    await withDeadlockRetry(() =>
      db.transaction().execute(async (trx) => {
        const uncounted = await volumeConditionalUpdate(trx, volume.id, { use_quota: 0 }, { use_quota: [1] });
        if (!uncounted) return;
        await this.deps.quotas.releaseUsage(
          trx,
          context.projectId!,
          volumeDeltas(volume.size, volume_type.name, -1),
        );
      }),
    );
  }
}

// ---- 5. VolumeCastTask --------------------------------------------------------------------------

type CastInputs = EntryInputs & { volume: VolumeRecord; volume_type: VolumeTypeRecord };

/**
 * Builds the request spec and casts `create_volume` to the scheduler. A source volume or snapshot
 * pins the request to its backend (`resource_backend`).
 * Revert: the volume row goes to `error`.
 */
export class VolumeCastTask extends Task<CastInputs, void> {
  constructor(
    private readonly deps: CoreDeps,
    private readonly scheduler: SchedulerRPCAPI,
  ) {
    super({
      requires: [
        'context',
        'volume',
        'volume_type',
        'availability_zones',
        'snapshot_id',
        'source_volid',
        'image_id',
        'backup_id',
        'group_id',
        'scheduler_hints',
        'source_volume',
        'snapshot',
      ],
      optional: ['group', 'defer_cast'],
    });
  }

  async execute(i: CastInputs): Promise<void> {
    if (i.defer_cast) return;
    const v = i.volume;
    // NOTE: Cinder's `resource_backend` is the group's or the source's service_topic_queue: its
    // cluster when clustered, else its `host@backend#pool`.
    let resource_backend: string | null = null;
    if (i.group) resource_backend = i.group.cluster_name || i.group.host;
    else if (i.source_volume) resource_backend = i.source_volume.cluster_name || i.source_volume.host;
    else if (i.snapshot && this.deps.config.DEFAULT.snapshot_same_host) {
      const origin = await volumeGet(this.deps.dbh.db, i.snapshot.volume_id);
      resource_backend = origin ? origin.cluster_name || origin.host : null;
    }
    const spec: RequestSpec = {
      volume_id: v.id,
      volume_properties: {
        size: v.size,
        availability_zone: v.availability_zone,
        volume_type_id: v.volume_type_id,
        project_id: v.project_id,
        user_id: v.user_id,
        metadata: v.metadata,
        qos_specs: null,
        attach_status: v.attach_status,
        status: v.status,
        display_name: v.display_name,
        display_description: v.display_description,
        multiattach: v.multiattach === 1,
        replication_status: v.replication_status,
        snapshot_id: v.snapshot_id,
        source_volid: v.source_volid,
        group_id: v.group_id,
        encryption_key_id: v.encryption_key_id,
      },
      volume_type: { id: i.volume_type.id, name: i.volume_type.name, extra_specs: i.volume_type.extra_specs },
      availability_zones: i.availability_zones,
      resource_backend,
      snapshot_id: i.snapshot_id,
      source_volid: i.source_volid,
      image_id: i.image_id,
      backup_id: i.backup_id,
      group_id: i.group_id,
      operation: 'create_volume',
    };
    const filter_properties = i.scheduler_hints ? { scheduler_hints: i.scheduler_hints } : {};
    await this.scheduler.createVolume(i.context, v.id, spec, filter_properties);
  }

  override async revert(i: CastInputs): Promise<void> {
    await volumeUpdate(this.deps.dbh.db, i.volume.id, { status: 'error' });
  }
}

/**
 * The api flow:
 * 1. ExtractVolumeRequestTask — complete and check the request
 * 2. QuotaReserveTask — reserve volumes/gigabytes (+ per type)
 * 3. EntryCreateTask — the row, in `creating`
 * 4. QuotaCommitTask — commit the reservation
 * 5. VolumeCastTask — cast to the scheduler
 */
export function getFlow(
  deps: CoreDeps,
  azs: AvailabilityZones,
  scheduler: SchedulerRPCAPI,
  images: ImageShow | null = null,
): LinearFlow {
  return new LinearFlow(
    'volume:create_api',
    new ExtractVolumeRequestTask(deps, azs, images),
    new QuotaReserveTask(deps),
    new EntryCreateTask(deps),
    new QuotaCommitTask(deps),
    new VolumeCastTask(deps, scheduler),
  );
}
