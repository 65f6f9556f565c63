/**
 * The volume-service side of create-volume (Cinder's `volume/flows/manager/create_volume.py`, flow
 * `volume:create_manager`): load the row, arm rescheduling, work out what kind of create it is,
 * announce `create.start`, have the driver make it, and finish with `available` + `create.end`.
 */
import { Task, LinearFlow, type RevertOutcome } from '../../../flow/index.js';
import type { RequestContext } from '../../../common/context.js';
import type { CoreDeps } from '../../../common/deps.js';
import {
  BackupNotFound,
  BackupServiceNotFound,
  DriverNotInitialized,
  ImageConversionNotAllowed,
  ImageCopyFailure,
  ImageTooBig,
  ImageUnacceptable,
  InvalidBackup,
  SnapshotNotFound,
  VolumeNotFound,
  VolumeTypeNotFound,
} from '../../../common/errors.js';
import { snapshotGet } from '../../../db/api/snapshots.js';
import { volumeGet, volumeUpdate, type VolumeRecord } from '../../../db/api/volumes.js';
import { isoNow } from '../../../common/time.js';
import { Action, Detail, Resource } from '../../../message/message-field.js';
import { volumeUsagePayload } from '../../../notify/volume-usage.js';
import type { SchedulerRPCAPI } from '../../../scheduler/rpcapi.js';
import type { FilterProperties, RequestSpec } from '../../../scheduler/types.js';
import { volumeName, type DriverVolume, type ModelUpdate, type VolumeDriver } from '../../driver.js';
import { snapshotDeleteLock, toDriverSnapshot, volumeDeleteLock } from '../../snapshot-driver.js';
import { copyImageMetadataFromSource } from '../../image-metadata-copy.js';
import type { GlanceImageService } from '../../../image/index.js';
import type { ImageConversionOptions } from '../../../image/image-utils.js';
import { imageConversionOptions } from '../../../image/image-service.js';
import { createFromImage } from './create-from-image.js';
import { toDriverVolume } from '../../driver-volume.js';
import type { ImageVolumeCache } from '../../image-cache.js';

/**
 * The backup service's half of a create from a backup (src/backup/restore-new-volume.ts, which
 * casts through backup/rpcapi.ts): the volume service is handed it by its service wrapper, as the
 * backup service is built on the volume service.
 */
export type RestoreBackupIntoNewVolume = (
  ctx: RequestContext,
  backupId: string,
  volumeId: string,
) => Promise<void>;

/** What the manager shares with its flow's tasks. */
export interface ManagerFlowContext {
  readonly deps: CoreDeps;
  readonly host: string;
  readonly driver: VolumeDriver;
  readonly driverInitialized: () => boolean;
  readonly scheduler: SchedulerRPCAPI;
  /** Hands the restore of a backup into a new volume to a backup service. */
  readonly restoreBackup: RestoreBackupIntoNewVolume;
  /** The volume service's `services.uuid`, recorded on the volumes it creates (3.48 `service_uuid`). */
  readonly serviceUuid?: string | null;
  /** Glance, for the `image` create type (null: none configured). */
  readonly images?: GlanceImageService | null;
  readonly imageOptions?: ImageConversionOptions;
  /** The backend's image-volume cache (null or absent: disabled). */
  readonly imageCache?: ImageVolumeCache | null;
}

/** Mutable note the reschedule task leaves for the others (taskflow passes revert results). */
export interface RescheduleState {
  rescheduled: boolean;
}

/**
 * Errors after which trying another backend cannot help (Cinder's no-reschedule list). Cinder's
 * list also names MetadataCopyFailure, MetadataUpdateFailure, InvalidSignatureImage and
 * ImageSignatureVerificationException, which Kindling does not raise.
 */
const NO_RESCHEDULE = [
  ImageCopyFailure,
  VolumeNotFound,
  SnapshotNotFound,
  VolumeTypeNotFound,
  ImageConversionNotAllowed,
  ImageUnacceptable,
  ImageTooBig,
  // A backup that cannot be restored (gone, busy, no backup service) is the same on any backend.
  BackupNotFound,
  InvalidBackup,
  BackupServiceNotFound,
];

// ---- 1. ExtractVolumeRefTask ------------------------------------------------------------------------

/**
 * Loads the volume row (or takes the one the manager has just read).
 * Revert: the volume goes to `error`, unless it was rescheduled to another backend.
 */
export class ExtractVolumeRefTask extends Task<
  { volume_id: string; reschedule_state: RescheduleState; volume_row?: VolumeRecord },
  VolumeRecord
> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['volume_id', 'reschedule_state'], optional: ['volume_row'], provides: ['volume'] });
  }

  async execute({
    volume_id,
    volume_row,
  }: {
    volume_id: string;
    volume_row?: VolumeRecord;
  }): Promise<VolumeRecord> {
    // The manager hands over the row it has just read (under the volume's lock) to check that the
    // create is still ours; reading it again here would cost five queries for the same row.
    if (volume_row?.id === volume_id) return volume_row;
    const v = await volumeGet(this.c.deps.dbh.db, volume_id);
    if (!v) throw new VolumeNotFound(volume_id);
    return v;
  }

  override async revert(
    { volume_id, reschedule_state }: { volume_id: string; reschedule_state: RescheduleState },
    { result }: RevertOutcome<VolumeRecord>,
  ): Promise<void> {
    if (!result || reschedule_state.rescheduled) return;
    await volumeUpdate(this.c.deps.dbh.db, volume_id, { status: 'error' });
  }
}

// ---- 2. OnFailureRescheduleTask ----------------------------------------------------------------------

type RescheduleInputs = {
  context: RequestContext;
  volume: VolumeRecord;
  request_spec: RequestSpec;
  filter_properties: FilterProperties;
  allow_reschedule: boolean;
  reschedule_state: RescheduleState;
};

/**
 * Does nothing going forward. Revert: when rescheduling is allowed (a `retry` entry exists and the
 * error is one another backend might not hit), clears the host, casts the request back to the
 * scheduler with the failure recorded, and removes whatever the driver left behind.
 */
export class OnFailureRescheduleTask extends Task<RescheduleInputs, void> {
  constructor(private readonly c: ManagerFlowContext) {
    super({
      requires: [
        'context',
        'volume',
        'request_spec',
        'filter_properties',
        'allow_reschedule',
        'reschedule_state',
      ],
    });
  }

  async execute(): Promise<void> {}

  override async revert(i: RescheduleInputs, { flowFailures }: RevertOutcome<void>): Promise<void> {
    const cause = flowFailures[0]?.error;
    const noReschedule = NO_RESCHEDULE.some((cls) => cause instanceof cls);
    if (!i.allow_reschedule || !i.filter_properties.retry || noReschedule) return;
    const retry = {
      ...i.filter_properties.retry,
      exc: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
    };
    const stillThere = await volumeUpdate(this.c.deps.dbh.db, i.volume.id, {
      host: null,
      scheduled_at: isoNow(),
      status: 'creating',
    });
    if (!stillThere) return;
    i.reschedule_state.rescheduled = true;
    this.c.deps.log.info(
      { volume_id: i.volume.id, host: this.c.host, err: retry.exc },
      'Volume create failed: rescheduling',
    );
    await this.c.scheduler.createVolume(i.context, i.volume.id, i.request_spec, {
      ...i.filter_properties,
      retry,
    });
    try {
      await this.c.driver.deleteVolume(toDriverVolume(i.volume));
    } catch (e) {
      this.c.deps.log.warn({ volume_id: i.volume.id, err: e }, 'Cleanup after failed create did not finish');
    }
  }
}

// ---- 3. ExtractVolumeSpecTask --------------------------------------------------------------------------

/** What kind of create this is, and its inputs (Cinder's `volume_spec`). */
export interface VolumeSpec {
  type: 'raw' | 'snap' | 'source_vol' | 'image' | 'backup';
  volume_id: string;
  volume_name: string;
  volume_size: number;
  snapshot_id?: string | null;
  source_volid?: string | null;
  image_id?: string | null;
  backup_id?: string | null;
}

/** Classifies the request by its source. Revert: nothing to undo. */
export class ExtractVolumeSpecTask extends Task<
  { volume: VolumeRecord; request_spec: RequestSpec },
  VolumeSpec
> {
  constructor() {
    super({ requires: ['volume', 'request_spec'], provides: ['volume_spec'] });
  }

  async execute({
    volume,
    request_spec,
  }: {
    volume: VolumeRecord;
    request_spec: RequestSpec;
  }): Promise<VolumeSpec> {
    const base = { volume_id: volume.id, volume_name: volumeName(volume.id), volume_size: volume.size };
    if (volume.snapshot_id || request_spec.snapshot_id)
      return { ...base, type: 'snap', snapshot_id: volume.snapshot_id ?? request_spec.snapshot_id ?? null };
    if (volume.source_volid || request_spec.source_volid)
      return {
        ...base,
        type: 'source_vol',
        source_volid: volume.source_volid ?? request_spec.source_volid ?? null,
      };
    if (request_spec.image_id) return { ...base, type: 'image', image_id: request_spec.image_id };
    if (volume.backup_id || request_spec.backup_id)
      return { ...base, type: 'backup', backup_id: volume.backup_id ?? request_spec.backup_id ?? null };
    return { ...base, type: 'raw' };
  }
}

// ---- 4. NotifyVolumeActionTask -------------------------------------------------------------------------

/** Emits `volume.<event>` (here `create.start`). Revert: nothing (notifications are history). */
export class NotifyVolumeActionTask extends Task<{ volume: VolumeRecord }, void> {
  constructor(
    private readonly c: ManagerFlowContext,
    private readonly event: string,
  ) {
    super({ name: `NotifyVolumeActionTask:${event}`, requires: ['volume'] });
  }

  async execute({ volume }: { volume: VolumeRecord }): Promise<void> {
    await this.c.deps.notifier.notify(
      `volume.${volume.host ?? this.c.host}`,
      `volume.${this.event}`,
      volumeUsagePayload(volume),
    );
  }
}

// ---- 5. CreateVolumeFromSpecTask -----------------------------------------------------------------------

type FromSpecInputs = {
  context: RequestContext;
  volume: VolumeRecord;
  volume_spec: VolumeSpec;
  request_spec: RequestSpec;
};

/**
 * Has the driver make the volume, by create type:
 * - `raw`: an empty volume; a driver failure leaves a user message (action 008, detail 012)
 *   whether or not the volume is then rescheduled;
 * - `snap`: a copy of the snapshot (`createVolumeFromSnapshot`; the driver grows it when the
 *   volume is larger), taken while holding `<snapshot_id>-delete_snapshot`;
 * - `source_vol`: a copy of the source volume (`createClonedVolume`), taken while holding
 *   `<source_volid>-delete_volume`.
 * Holding the source's delete lock makes a delete of the snapshot or source volume wait until the
 * copy is done. A bootable source makes the new volume bootable.
 * - `backup`: an empty volume, then the restore is handed to a backup service
 *   (`restoreBackup`, src/backup/restore-new-volume.ts), which sets the volume `available` when it is done; the
 *   volume stays `creating` meanwhile (CreateVolumeOnFinishTask leaves its status alone).
 * - `image`: an empty volume, then the image downloaded, checked and written into it
 *   (create-from-image.ts); the volume shows `downloading` meanwhile and ends bootable.
 * Revert: nothing here; OnFailureRescheduleTask cleans up the backend.
 */
export class CreateVolumeFromSpecTask extends Task<FromSpecInputs, VolumeRecord> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['context', 'volume', 'volume_spec', 'request_spec'], provides: ['volume'] });
  }

  async execute({ context, volume, volume_spec, request_spec }: FromSpecInputs): Promise<VolumeRecord> {
    if (!this.c.driverInitialized()) throw new DriverNotInitialized();
    const target = toDriverVolume(volume, request_spec.volume_type?.extra_specs);
    let made: { update: ModelUpdate | null; bootable: boolean };
    switch (volume_spec.type) {
      case 'raw':
        made = { update: await this.#createRaw(context, volume, target), bootable: false };
        break;
      case 'snap':
        made = await this.#createFromSnapshot(target, volume_spec.snapshot_id ?? '');
        break;
      case 'source_vol':
        made = await this.#createFromSourceVolume(target, volume_spec.source_volid ?? '');
        break;
      case 'backup':
        made = await this.#createFromBackup(context, volume, target, volume_spec.backup_id ?? '');
        break;
      case 'image':
        made = await createFromImage(
          {
            deps: this.c.deps,
            driver: this.c.driver,
            images: this.c.images ?? null,
            imageOptions: this.c.imageOptions ?? imageConversionOptions(this.c.deps.config, this.c.deps.log),
            imageCache: this.c.imageCache ?? null,
          },
          context,
          volume,
          target,
          volume_spec.image_id ?? '',
        );
        break;
      default:
        throw new Error(`create type '${String(volume_spec.type)}' is not supported by this service`);
    }
    let bootable = volume.bootable;
    if (made.bootable && !volume.bootable) {
      // Cinder's `enable_bootable_flag`.
      await volumeUpdate(this.c.deps.dbh.db, volume.id, { bootable: 1 });
      bootable = 1;
    }
    // Cinder's `_handle_bootable_volume_glance_meta`: a bootable source's image metadata comes along.
    if (made.bootable) await copyImageMetadataFromSource(this.c.deps.dbh.db, volume.id, volume_spec);
    // NOTE: the model update is saved together with `available` by CreateVolumeOnFinishTask.
    return { ...volume, ...(made.update ?? {}), bootable };
  }

  async #createRaw(context: RequestContext, volume: VolumeRecord, target: DriverVolume) {
    try {
      return await this.c.driver.createVolume(target);
    } catch (e) {
      await this.c.deps.messages.create(context, Action.CREATE_VOLUME_FROM_BACKEND, {
        resourceType: Resource.VOLUME,
        resourceUuid: volume.id,
        projectId: volume.project_id,
        detail: Detail.DRIVER_FAILED_CREATE,
        error: e,
      });
      throw e;
    }
  }

  /** Cinder's `_create_from_snapshot`. */
  async #createFromSnapshot(target: DriverVolume, snapshotId: string) {
    const db = this.c.deps.dbh.db;
    return this.c.deps.coordinator.withLock(snapshotDeleteLock(snapshotId), async () => {
      const snapshot = await snapshotGet(db, snapshotId);
      if (!snapshot) throw new SnapshotNotFound(snapshotId);
      const origin = await volumeGet(db, snapshot.volume_id);
      if (!origin) throw new VolumeNotFound(snapshot.volume_id);
      if (!this.c.driver.createVolumeFromSnapshot)
        throw new Error('the volume driver cannot create volumes from snapshots');
      const update = await this.c.driver.createVolumeFromSnapshot(
        target,
        toDriverSnapshot(snapshot, toDriverVolume(origin)),
      );
      return { update, bootable: origin.bootable === 1 };
    });
  }

  /**
   * Cinder's `_create_from_backup` (no driver offers `create_volume_from_backup`): the raw volume,
   * its model update saved at once (the backup service opens the volume by it), then the restore.
   */
  async #createFromBackup(
    context: RequestContext,
    volume: VolumeRecord,
    target: DriverVolume,
    backupId: string,
  ) {
    const update = await this.#createRaw(context, volume, target);
    if (update) await volumeUpdate(this.c.deps.dbh.db, volume.id, { ...update });
    await this.c.restoreBackup(context, backupId, volume.id);
    return { update, bootable: false };
  }

  /** Cinder's `_create_from_source_volume`. */
  async #createFromSourceVolume(target: DriverVolume, sourceId: string) {
    const db = this.c.deps.dbh.db;
    return this.c.deps.coordinator.withLock(volumeDeleteLock(sourceId), async () => {
      const source = await volumeGet(db, sourceId);
      if (!source) throw new VolumeNotFound(sourceId);
      if (!this.c.driver.createClonedVolume) throw new Error('the volume driver cannot clone volumes');
      const update = await this.c.driver.createClonedVolume(target, toDriverVolume(source));
      return { update, bootable: source.bootable === 1 };
    });
  }
}

// ---- 6. CreateVolumeOnFinishTask -----------------------------------------------------------------------

/**
 * Saves the driver's model update with `status=available` (launched now) in one write, and emits
 * `volume.create.end`. A volume made from a backup is only announced: its restore is still
 * running, and the backup service sets it `available` (Cinder's `need_update_volume = False`).
 * Revert: nothing.
 */
export class CreateVolumeOnFinishTask extends Task<{ volume: VolumeRecord; volume_spec: VolumeSpec }, void> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['volume', 'volume_spec'] });
  }

  async execute({ volume, volume_spec }: { volume: VolumeRecord; volume_spec: VolumeSpec }): Promise<void> {
    if (volume_spec.type === 'backup') {
      await this.c.deps.notifier.notify(
        `volume.${volume.host ?? this.c.host}`,
        'volume.create.end',
        volumeUsagePayload(volume),
      );
      return;
    }
    const launched_at = isoNow();
    // NOTE: as Cinder's manager, the volume records which service made it and whether its
    // driver shares iSCSI targets between volumes (none of Kindling's drivers does).
    const placed = { service_uuid: this.c.serviceUuid ?? null, shared_targets: 0 as const };
    await volumeUpdate(this.c.deps.dbh.db, volume.id, {
      status: 'available',
      launched_at,
      provider_location: volume.provider_location,
      provider_auth: volume.provider_auth,
      provider_id: volume.provider_id,
      ...placed,
    });
    const done = { ...volume, ...placed, status: 'available', launched_at, updated_at: launched_at };
    await this.c.deps.notifier.notify(
      `volume.${volume.host ?? this.c.host}`,
      'volume.create.end',
      volumeUsagePayload(done),
    );
  }
}

/**
 * The manager flow:
 * 1. ExtractVolumeRefTask — load the row
 * 2. OnFailureRescheduleTask — on failure, send the request back to the scheduler
 * 3. ExtractVolumeSpecTask — raw / snap / source_vol / image / backup
 * 4. NotifyVolumeActionTask — `volume.create.start`
 * 5. CreateVolumeFromSpecTask — the driver makes it
 * 6. CreateVolumeOnFinishTask — `available` + `volume.create.end`
 */
export function getFlow(c: ManagerFlowContext): LinearFlow {
  return new LinearFlow(
    'volume:create_manager',
    new ExtractVolumeRefTask(c),
    new OnFailureRescheduleTask(c),
    new ExtractVolumeSpecTask(),
    new NotifyVolumeActionTask(c, 'create.start'),
    new CreateVolumeFromSpecTask(c),
    new CreateVolumeOnFinishTask(c),
  );
}
