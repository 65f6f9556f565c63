/**
 * The api side of create-volume (Cinder's `volume/flows/api/create_volume.py`, flow
 * `volume:create_api`): validate and complete the request, reserve quota, write the row in
 * `creating`, commit quota, and cast to the scheduler. Tasks are listed in the order they run;
 * `getFlow()` at the bottom assembles them.
 */
import { Task, LinearFlow, type RevertOutcome } from '../../../flow/index.js';
import type { RequestContext } from '../../../common/context.js';
import type { CoreDeps } from '../../../common/deps.js';
import {
  InvalidAvailabilityZone,
  InvalidBackup,
  InvalidInput,
  InvalidSnapshot,
  InvalidVolume,
  BadRequest,
} from '../../../common/errors.js';
import { isIntLike, pythonStr } from '../../../common/strutils.js';
import { newUuid } from '../../../common/uuid.js';
import type { SnapshotsTable } from '../../../db/schema.js';
import { volumeTypeGet, type VolumeTypeRecord } from '../../../db/api/volume-types.js';
import {
  volumeCreate,
  volumeGet,
  volumeUpdate,
  volumeDestroy,
  type VolumeRecord,
  type VolumeCreateValues,
} from '../../../db/api/volumes.js';
import { isoNow } from '../../../db/time.js';
import { overQuotaToError, OverQuota } from '../../../quota/over-quota.js';
import { volumeDeltas } from '../../../quota/resources.js';
import type { SchedulerRPCAPI } from '../../../scheduler/rpcapi.js';
import type { RequestSpec } from '../../../scheduler/types.js';
import type { AvailabilityZones } from '../../availability-zones.js';
import { createEncryptionKey, getDefaultVolumeType, volumeTypeQosSpecs } from '../../volume-types.js';

/** What the controller hands the flow (already looked up and validated as far as the API goes). */
export type CreateVolumeRequest = {
  context: RequestContext;
  size: number | string | null;
  name: string | null;
  description: string | null;
  volume_type: VolumeTypeRecord | null;
  metadata: Record<string, string>;
  availability_zone: string | null;
  snapshot: SnapshotsTable | null;
  source_volume: VolumeRecord | null;
  image_id: string | null;
  backup: { id: string; status: string; size: number } | null;
  group_id: string | null;
  scheduler_hints: Record<string, unknown> | null;
  /** The group the volume joins: it is placed on the group's backend (src/group/). */
  group?: {
    host: string | null;
    cluster_name: string | null;
    status?: string;
    volume_type_ids?: readonly string[];
  } | null;
  /** Only write the row: the group's backend creates the volume (create a group from a source). */
  defer_cast?: boolean;
};

// ---- 1. ExtractVolumeRequestTask ----------------------------------------------------------------

type ExtractInputs = Pick<
  CreateVolumeRequest,
  | 'context'
  | 'size'
  | 'volume_type'
  | 'availability_zone'
  | 'snapshot'
  | 'source_volume'
  | 'image_id'
  | 'backup'
>;

export type ExtractedRequest = {
  size: number;
  volume_type: VolumeTypeRecord;
  volume_type_id: string;
  availability_zones: string[];
  multiattach: boolean;
  replication_status: string;
  qos_specs: Record<string, string> | null;
  encryption_key_id: string | null;
  snapshot_id: string | null;
  source_volid: string | null;
  backup_id: string | null;
};

/**
 * Completes and checks the request: one source at most, source statuses, size (defaults from the
 * source; never smaller than it), the volume type (explicit → source's → default), the
 * availability zone, multiattach and replication from the type.
 * Revert: nothing to undo.
 */
export class ExtractVolumeRequestTask extends Task<ExtractInputs, ExtractedRequest> {
  constructor(
    private readonly deps: CoreDeps,
    private readonly azs: AvailabilityZones,
  ) {
    super({
      requires: [
        'context',
        'size',
        'volume_type',
        'availability_zone',
        'snapshot',
        'source_volume',
        'image_id',
        'backup',
      ],
      provides: [
        'size',
        'volume_type',
        'volume_type_id',
        'availability_zones',
        'multiattach',
        'replication_status',
        'qos_specs',
        'encryption_key_id',
        'snapshot_id',
        'source_volid',
        'backup_id',
      ],
    });
  }

  async execute(i: ExtractInputs): Promise<ExtractedRequest> {
    const sources = [i.snapshot, i.image_id, i.source_volume, i.backup].filter(
      (s) => s !== null && s !== undefined,
    );
    if (sources.length > 1)
      throw new InvalidInput('May specify only one of backup, imageRef, snapshot, source volume');
    if (i.snapshot && i.snapshot.status !== 'available')
      throw new InvalidSnapshot("Originating snapshot status must be one of 'available' values");
    if (i.source_volume && !['available', 'in-use'].includes(i.source_volume.status))
      throw new InvalidVolume("Originating source volume status must be one of 'available, in-use' values");
    if (i.backup && i.backup.status !== 'available')
      throw new InvalidBackup("Originating backup status must be one of 'available' values");

    const size = this.#extractSize(i);
    const db = this.deps.dbh.db;
    let type = i.volume_type;
    if (!type && i.source_volume) type = await this.#typeById(i.source_volume.volume_type_id);
    if (!type && i.snapshot?.volume_type_id) type = await this.#typeById(i.snapshot.volume_type_id);
    type ??= await getDefaultVolumeType(db, i.context, this.deps.config.DEFAULT.default_volume_type);

    const availability_zones = await this.#extractAvailabilityZones(i, type);
    const encryption_key_id = await createEncryptionKey(db, type.id);
    const qos = await volumeTypeQosSpecs(db, type.id);
    const multiattach = /^<is>\s*true$/i.test((type.extra_specs.multiattach ?? '').trim());
    const replication_status = /^<is>\s*true$/i.test((type.extra_specs.replication_enabled ?? '').trim())
      ? 'enabled'
      : 'disabled';
    return {
      size,
      volume_type: type,
      volume_type_id: type.id,
      availability_zones,
      multiattach,
      replication_status,
      qos_specs: Object.keys(qos).length ? (qos as Record<string, string>) : null,
      encryption_key_id,
      snapshot_id: i.snapshot?.id ?? null,
      source_volid: i.source_volume?.id ?? null,
      backup_id: i.backup?.id ?? null,
    };
  }

  async #typeById(id: string): Promise<VolumeTypeRecord | null> {
    return volumeTypeGet(this.deps.dbh.db, id);
  }

  #extractSize(i: ExtractInputs): number {
    let size: unknown = i.size;
    if (size === null || size === undefined) {
      size = i.snapshot?.volume_size ?? i.source_volume?.size ?? i.backup?.size ?? null;
    }
    if (!isIntLike(size) || Number(size) <= 0)
      throw new InvalidInput(`Volume size '${pythonStr(size)}' must be an integer and greater than 0`);
    const n = Number(size);
    if (i.source_volume && n < i.source_volume.size)
      throw new InvalidInput(
        `Volume size '${n}'GB cannot be smaller than original volume size  ${i.source_volume.size}GB. They must be >= original volume size.`,
      );
    if (i.snapshot && n < i.snapshot.volume_size)
      throw new InvalidInput(
        `Volume size '${n}'GB cannot be smaller than the snapshot size ${i.snapshot.volume_size}GB. They must be >= original snapshot size.`,
      );
    if (i.backup && n < i.backup.size)
      throw new InvalidInput(
        `Volume size ${n}GB cannot be smaller than the backup size ${i.backup.size}GB. It must be >= backup size.`,
      );
    return n;
  }

  /** Cinder's `_extract_availability_zones` (volume-create.md §4). */
  async #extractAvailabilityZones(i: ExtractInputs, type: VolumeTypeRecord): Promise<string[]> {
    const cfg = this.deps.config.DEFAULT;
    const known = async (refresh: boolean) => {
      const names = new Set((await this.azs.list(refresh)).map((z) => z.name));
      names.add(cfg.storage_availability_zone);
      return names;
    };
    let allowed = await known(false);
    const restriction = type.extra_specs['RESKEY:availability_zones'];
    let typeAzs: string[] | null = null;
    if (restriction) {
      typeAzs = restriction
        .split(',')
        .map((s) => s.trim())
        .filter((s) => allowed.has(s));
      if (typeAzs.length === 0)
        throw new BadRequest(`Volume type is only supported in these availability zones: ${restriction}`);
    }
    let az = i.availability_zone;
    if (!az && i.snapshot)
      az = (await volumeGet(this.deps.dbh.db, i.snapshot.volume_id))?.availability_zone ?? null;
    if (!az && i.source_volume) az = i.source_volume.availability_zone;
    if (!az && !typeAzs) az = cfg.default_availability_zone ?? cfg.storage_availability_zone;
    if (az && !allowed.has(az)) {
      allowed = await known(true);
      if (!allowed.has(az)) {
        if (cfg.allow_availability_zone_fallback)
          az = cfg.default_availability_zone ?? cfg.storage_availability_zone;
        else throw new InvalidAvailabilityZone(az);
      }
    }
    if (az && typeAzs && !typeAzs.includes(az))
      throw new BadRequest(`Volume type is only supported in these availability zones: ${restriction}`);
    if (cfg.cloned_volume_same_az && az) {
      if (i.source_volume && i.source_volume.availability_zone !== az)
        throw new InvalidInput('Volume must be in the same availability zone as the source volume');
    }
    return az ? [az] : (typeAzs ?? []);
  }
}

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
 * Writes the volume row in `creating` (with its metadata), owned by the caller's project.
 * Revert: destroys the row, unless quota was already committed (then the row is kept and set to
 * `error` by VolumeCastTask's revert, so the user sees what happened).
 */
export class EntryCreateTask extends Task<EntryInputs, VolumeRecord> {
  constructor(private readonly deps: CoreDeps) {
    super({
      requires: [
        'context',
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
      id,
      created_at: isoNow(),
      user_id: i.context.userId,
      project_id: i.context.projectId,
      host: null,
      cluster_name: null,
      size: i.size,
      availability_zone: i.availability_zones.length === 1 ? i.availability_zones[0]! : null,
      status: 'creating',
      attach_status: 'detached',
      migration_status: null,
      previous_status: null,
      scheduled_at: null,
      launched_at: null,
      terminated_at: null,
      display_name: i.name,
      display_description: i.description,
      provider_location: null,
      provider_auth: null,
      provider_id: null,
      snapshot_id: i.snapshot_id,
      source_volid: i.source_volid,
      backup_id: i.backup_id,
      volume_type_id: i.volume_type_id,
      encryption_key_id: i.encryption_key_id,
      consistencygroup_id: null,
      group_id: i.group_id,
      bootable: await this.#bootable(i),
      multiattach: i.multiattach ? 1 : 0,
      replication_status: i.replication_status,
      service_uuid: null,
      shared_targets: 1,
      use_quota: 1,
      metadata: i.metadata,
    };
    await volumeCreate(db, values);
    // NOTE: the row is exactly what we wrote; build the record instead of reading it back.
    const { metadata, admin_metadata: _admin, created_at, ...row } = values;
    return {
      ...row,
      metadata: { ...metadata },
      volume_type_name: i.volume_type.name,
      created_at: created_at!,
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    };
  }

  /** A clone starts bootable when its source volume (or the snapshot's volume) is. */
  async #bootable(i: EntryInputs): Promise<0 | 1> {
    if (i.source_volume) return i.source_volume.bootable;
    if (i.snapshot) return (await volumeGet(this.deps.dbh.db, i.snapshot.volume_id))?.bootable ?? 0;
    return 0;
  }

  override async revert(
    _i: EntryInputs,
    { result, flowFailures }: RevertOutcome<VolumeRecord>,
  ): Promise<void> {
    if (!result) return;
    // NOTE: once QuotaCommitTask ran, the row stays (as `error`) so usage and rows agree.
    if (flowFailures.some((f) => f.taskName === 'VolumeCastTask')) return;
    await volumeDestroy(this.deps.dbh.db, result.id);
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
 * Commits the reservation: the volume now counts as used.
 * Revert: gives the usage back (reserve and commit the negative deltas).
 */
export class QuotaCommitTask extends Task<CommitInputs, boolean> {
  constructor(private readonly deps: CoreDeps) {
    super({ requires: ['context', 'reservations', 'volume', 'volume_type'], provides: ['quota_committed'] });
  }

  async execute({ reservations }: CommitInputs): Promise<boolean> {
    await this.deps.quotas.commit(reservations);
    return true;
  }

  override async revert(
    { context, volume, volume_type }: CommitInputs,
    { result }: RevertOutcome<boolean>,
  ): Promise<void> {
    if (!result) return;
    await this.deps.quotas.reserveAndCommit(
      context.projectId!,
      volumeDeltas(volume.size, volume_type.name, -1),
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
export function getFlow(deps: CoreDeps, azs: AvailabilityZones, scheduler: SchedulerRPCAPI): LinearFlow {
  return new LinearFlow(
    'volume:create_api',
    new ExtractVolumeRequestTask(deps, azs),
    new QuotaReserveTask(deps),
    new EntryCreateTask(deps),
    new QuotaCommitTask(deps),
    new VolumeCastTask(deps, scheduler),
  );
}
