/**
 * The api side of manage (Cinder's `volume/flows/api/manage_existing.py`, flow
 * `volume:manage_existing_api`): reserve one volume of no size, write the row in `managing` on the
 * host the caller named, commit, and cast to the scheduler, which checks that host can take it and
 * hands it to the volume service (whose flow sizes the object and charges its gigabytes:
 * src/volume/flows/manager/manage-existing.ts).
 */
import { Task, LinearFlow, type RevertOutcome } from '../../../flow/index.js';
import type { RequestContext } from '../../../common/context.js';
import type { CoreDeps } from '../../../common/deps.js';
import { newUuid } from '../../../common/uuid.js';
import type { VolumeTypeRecord } from '../../../db/api/volume-types.js';
import {
  NEW_VOLUME_DEFAULTS,
  volumeCreate,
  volumeUpdate,
  type VolumeCreateValues,
  type VolumeRecord,
} from '../../../db/api/volumes.js';
import { withDeadlockRetry } from '../../../db/retry.js';
import { isoNow } from '../../../common/time.js';
import { discardVolumeIfQuotaPending, pendingQuotaMetadata } from '../../../quota/volume-reservations.js';
import type { SchedulerRPCAPI } from '../../../scheduler/rpcapi.js';
import type { RequestSpec } from '../../../scheduler/types.js';
import type { ExistingRef } from '../../driver.js';
import { createdVolumeRecord, QuotaCommitTask, QuotaReserveTask } from './create-volume.js';

/** What `VolumeManageAPI.manageExisting` hands the flow (Cinder's `manage_what`). */
export type ManageExistingRequest = {
  context: RequestContext;
  name: string | null;
  description: string | null;
  /** `host@backend[#pool]` (the pool when the caller gave one), or the cluster's service host. */
  host: string;
  cluster_name: string | null;
  ref: ExistingRef;
  volume_type: VolumeTypeRecord;
  metadata: Record<string, string>;
  availability_zone: string | null;
  bootable: boolean;
  /** 0: the api flow charges one volume; the volume service charges the gigabytes once sized. */
  size: 0;
};

/**
 * The admin metadata key keeping a managing volume's reference (Kindling), so a volume service that
 * restarts in the middle of a manage can run it again; removed when the manage ends well.
 */
export const MANAGE_REF_KEY = 'manage_existing_ref';

/** `{manage_existing_ref: <ref as JSON>}`, or nothing for a reference too long to keep (255). */
export function manageRefMetadata(ref: ExistingRef): Record<string, string> {
  const text = JSON.stringify(ref);
  return text.length <= 255 ? { [MANAGE_REF_KEY]: text } : {};
}

// ---- 1. QuotaReserveTask (create-volume's): volumes=1, gigabytes=0 (+ per type) ----------------
// ---- 2. EntryCreateTask ----------------------------------------------------------------------------

type EntryInputs = ManageExistingRequest & { reservations: string[] };

/**
 * Writes the volume row in `managing`, size 0, on the given host and cluster, with its metadata and
 * the note of its uncommitted reservations (one transaction, as create-volume's).
 * Revert: destroys the row and rolls its reservations back while they are not committed.
 */
export class EntryCreateTask extends Task<EntryInputs, VolumeRecord> {
  constructor(private readonly deps: CoreDeps) {
    super({
      requires: [
        'context',
        'reservations',
        'name',
        'description',
        'host',
        'cluster_name',
        'volume_type',
        'metadata',
        'availability_zone',
        'bootable',
        'ref',
      ],
      provides: ['volume'],
    });
  }

  async execute(i: EntryInputs): Promise<VolumeRecord> {
    const multiattach = (i.volume_type.extra_specs.multiattach ?? '') === '<is> True';
    const values: VolumeCreateValues = {
      ...NEW_VOLUME_DEFAULTS,
      id: newUuid(),
      created_at: isoNow(),
      user_id: i.context.userId,
      project_id: i.context.projectId,
      host: i.host,
      cluster_name: i.cluster_name,
      size: 0,
      availability_zone: i.availability_zone,
      status: 'managing',
      display_name: i.name,
      display_description: i.description,
      volume_type_id: i.volume_type.id,
      bootable: i.bootable ? 1 : 0,
      multiattach: multiattach ? 1 : 0,
      replication_status: 'disabled',
      shared_targets: 1,
      metadata: i.metadata,
    };
    const db = this.deps.dbh.db;
    await withDeadlockRetry(() =>
      db.transaction().execute((trx) =>
        volumeCreate(trx, {
          ...values,
          admin_metadata: { ...pendingQuotaMetadata(i.reservations), ...manageRefMetadata(i.ref) },
        }),
      ),
    );
    return createdVolumeRecord(values, i.volume_type.name);
  }

  override async revert(_i: EntryInputs, { result }: RevertOutcome<VolumeRecord>): Promise<void> {
    if (result) await discardVolumeIfQuotaPending(this.deps, result.id);
  }
}

// ---- 3. QuotaCommitTask (create-volume's) ----------------------------------------------------------
// ---- 4. ManageCastTask -----------------------------------------------------------------------------

type CastInputs = {
  context: RequestContext;
  volume: VolumeRecord;
  volume_type: VolumeTypeRecord;
  ref: ExistingRef;
};

/**
 * Casts `manage_existing` to the scheduler: it checks that the named backend passes the filters
 * for this volume (its type, zone) and casts on to its volume service.
 * Revert: the volume goes to `error_managing`.
 */
export class ManageCastTask extends Task<CastInputs, void> {
  constructor(
    private readonly deps: CoreDeps,
    private readonly scheduler: SchedulerRPCAPI,
  ) {
    super({ requires: ['context', 'volume', 'volume_type', 'ref'] });
  }

  async execute({ context, volume: v, volume_type, ref }: CastInputs): Promise<void> {
    const request_spec: RequestSpec = {
      volume_id: v.id,
      volume_properties: {
        size: 0,
        availability_zone: v.availability_zone,
        volume_type_id: v.volume_type_id,
        project_id: v.project_id,
        user_id: v.user_id,
        metadata: v.metadata,
        attach_status: v.attach_status,
        status: v.status,
        display_name: v.display_name,
        display_description: v.display_description,
        multiattach: v.multiattach === 1,
        host: v.host,
        cluster_name: v.cluster_name,
      },
      volume_type: { id: volume_type.id, name: volume_type.name, extra_specs: volume_type.extra_specs },
      availability_zones: v.availability_zone ? [v.availability_zone] : [],
      operation: 'manage_existing',
    };
    await this.scheduler.manageExisting(context, { volume_id: v.id, request_spec, ref });
  }

  override async revert({ volume }: CastInputs): Promise<void> {
    await volumeUpdate(this.deps.dbh.db, volume.id, { status: 'error_managing' });
    this.deps.log.error({ volume_id: volume.id }, `Volume ${volume.id}: manage failed.`);
  }
}

/**
 * The api flow:
 * 1. QuotaReserveTask — volumes=1, gigabytes=0 (+ the type's keys)
 * 2. EntryCreateTask — the row, in `managing`
 * 3. QuotaCommitTask — commit the reservation
 * 4. ManageCastTask — cast `manage_existing` to the scheduler
 */
export function getFlow(deps: CoreDeps, scheduler: SchedulerRPCAPI): LinearFlow {
  return new LinearFlow(
    'volume:manage_existing_api',
    new QuotaReserveTask(deps),
    new EntryCreateTask(deps),
    new QuotaCommitTask(deps),
    new ManageCastTask(deps, scheduler),
  );
}
