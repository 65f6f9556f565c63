/**
 * The volume-service side of snapshot manage (Cinder's
 * `volume/flows/manager/manage_existing_snapshot.py`, flow `snapshot:manage_existing_manager`):
 * load the snapshot row (written `creating` by the API with its volume's size counted), announce
 * `manage_existing_snapshot.start`, have the driver size the object, reserve the difference to the
 * counted gigabytes, have the driver adopt it (renamed `snapshot-<id>`), commit with the size, and
 * finish `available` with `manage_existing_snapshot.end`. Any failure leaves the snapshot `error`
 * and the object as it was.
 */
import { Task, LinearFlow, type RevertOutcome } from '../../../flow/index.js';
import type { RequestContext } from '../../../common/context.js';
import type { CoreDeps } from '../../../common/deps.js';
import { DriverNotInitialized, InvalidInput, SnapshotNotFound } from '../../../common/errors.js';
import {
  snapshotConditionalUpdate,
  snapshotGet,
  snapshotUpdate,
  type SnapshotRecord,
} from '../../../db/api/snapshots.js';
import { volumeTypeGet } from '../../../db/api/volume-types.js';
import { volumeGet, type VolumeRecord } from '../../../db/api/volumes.js';
import { withDeadlockRetry } from '../../../db/retry.js';
import { overQuotaToError, OverQuota } from '../../../quota/over-quota.js';
import type { ExistingRef, VolumeDriver } from '../../driver.js';
import { toDriverSnapshot } from '../../snapshot-driver.js';
import { snapshotUsagePayload } from '../../snapshot-usage.js';
import { toDriverVolume } from '../../driver-volume.js';

/** What the snapshot manage flow borrows from its volume service. */
export interface SnapshotManageContext {
  readonly deps: CoreDeps;
  readonly host: string;
  readonly driver: VolumeDriver;
  readonly driverInitialized: () => boolean;
}

type Store = {
  context: RequestContext;
  snapshot_id: string;
  manage_existing_ref: ExistingRef;
  snapshot_ref: SnapshotRecord;
  volume: VolumeRecord;
};

function driverSnapshot(s: SnapshotRecord, v: VolumeRecord) {
  return toDriverSnapshot(s, toDriverVolume(v));
}

// ---- 1. ExtractSnapshotRefTask ---------------------------------------------------------------------

/** Loads the snapshot row and its volume. Revert: the snapshot goes to `error`. */
export class ExtractSnapshotRefTask extends Task<
  Store,
  { snapshot_ref: SnapshotRecord; volume: VolumeRecord }
> {
  constructor(private readonly c: SnapshotManageContext) {
    super({ requires: ['snapshot_id'], provides: ['snapshot_ref', 'volume'] });
  }

  async execute({ snapshot_id }: Store): Promise<{ snapshot_ref: SnapshotRecord; volume: VolumeRecord }> {
    const db = this.c.deps.dbh.db;
    const s = await snapshotGet(db, snapshot_id);
    if (!s) throw new SnapshotNotFound(snapshot_id);
    const v = await volumeGet(db, s.volume_id);
    if (!v) throw new InvalidInput(`The volume ${s.volume_id} of snapshot ${s.id} is gone.`);
    return { snapshot_ref: s, volume: v };
  }

  override async revert({ snapshot_id }: Store, { result }: RevertOutcome): Promise<void> {
    if (result === undefined) return;
    await snapshotUpdate(this.c.deps.dbh.db, snapshot_id, { status: 'error' });
    this.c.deps.log.error({ snapshot_id }, `Snapshot ${snapshot_id}: create failed`);
  }
}

// ---- 2. NotifySnapshotActionTask -------------------------------------------------------------------

/** `snapshot.<event>`. Revert: nothing. */
export class NotifySnapshotActionTask extends Task<Store, void> {
  constructor(
    private readonly c: SnapshotManageContext,
    private readonly event: string,
  ) {
    super({ name: `NotifySnapshotActionTask:${event}`, requires: ['snapshot_ref', 'volume'] });
  }

  async execute({ snapshot_ref, volume }: Store): Promise<void> {
    await this.c.deps.notifier.notify(
      `snapshot.${this.c.host}`,
      `snapshot.${this.event}`,
      snapshotUsagePayload(snapshot_ref, volume),
    );
  }
}

// ---- 3. PrepareForQuotaReservationTask -------------------------------------------------------------

/** The driver's `manage_existing_snapshot_get_size` (GiB, rounded up). Revert: nothing. */
export class PrepareForQuotaReservationTask extends Task<Store, number> {
  constructor(private readonly c: SnapshotManageContext) {
    super({ requires: ['snapshot_ref', 'volume', 'manage_existing_ref'], provides: ['size'] });
  }

  async execute({ snapshot_ref, volume, manage_existing_ref }: Store): Promise<number> {
    if (!this.c.driverInitialized()) throw new DriverNotInitialized();
    const d = this.c.driver;
    if (!d.manageExistingSnapshotGetSize || !d.manageExistingSnapshot)
      throw new InvalidInput('The volume driver of this backend cannot manage existing snapshots.');
    return d.manageExistingSnapshotGetSize(driverSnapshot(snapshot_ref, volume), manage_existing_ref);
  }
}

// ---- 4. QuotaReserveTask ---------------------------------------------------------------------------

type SizedStore = Store & { size: number };

/**
 * Reserves the snapshot's size minus the volume size the API already counted (negative when
 * smaller), with the type's `gigabytes_<type>`. Revert: rolls the reservation back.
 */
export class QuotaReserveTask extends Task<SizedStore, string[]> {
  constructor(private readonly c: SnapshotManageContext) {
    super({ requires: ['snapshot_ref', 'size'], provides: ['reservations'] });
  }

  async execute({ snapshot_ref, size }: SizedStore): Promise<string[]> {
    const diff = size - snapshot_ref.volume_size;
    const type = snapshot_ref.volume_type_id
      ? await volumeTypeGet(this.c.deps.dbh.db, snapshot_ref.volume_type_id, true)
      : null;
    const deltas: Record<string, number> = { gigabytes: diff };
    if (type) deltas[`gigabytes_${type.name}`] = diff;
    try {
      return await this.c.deps.quotas.reserve(snapshot_ref.project_id!, deltas);
    } catch (e) {
      if (e instanceof OverQuota) throw overQuotaToError(e, deltas);
      throw e;
    }
  }

  override async revert(_i: SizedStore, { result }: RevertOutcome<string[]>): Promise<void> {
    if (result) await this.c.deps.quotas.rollback(result);
  }
}

// ---- 5. ManageExistingTask -------------------------------------------------------------------------

/**
 * The driver's `manage_existing_snapshot`: the object becomes the snapshot's (`snapshot-<id>`).
 * Revert (Kindling): the object gets its old name back.
 */
export class ManageExistingTask extends Task<SizedStore, string | null> {
  constructor(private readonly c: SnapshotManageContext) {
    super({
      requires: ['snapshot_ref', 'volume', 'manage_existing_ref', 'size'],
      provides: ['provider_location'],
    });
  }

  async execute({ snapshot_ref, volume, manage_existing_ref }: SizedStore): Promise<string | null> {
    const update = await this.c.driver.manageExistingSnapshot!(
      driverSnapshot(snapshot_ref, volume),
      manage_existing_ref,
    );
    return update?.provider_location ?? null;
  }

  override async revert(
    { snapshot_ref, volume, manage_existing_ref }: SizedStore,
    { result }: RevertOutcome,
  ): Promise<void> {
    if (result === undefined) return;
    try {
      await this.c.driver.revertManageExistingSnapshot?.(
        driverSnapshot(snapshot_ref, volume),
        manage_existing_ref,
      );
    } catch (e) {
      this.c.deps.log.error(
        { snapshot_id: snapshot_ref.id, err: e },
        'could not give the snapshot its name back',
      );
    }
  }
}

// ---- 6. QuotaCommitTask ----------------------------------------------------------------------------

/** The snapshot's `volume_size` and the reserved difference, in one transaction. Revert: nothing. */
export class QuotaCommitTask extends Task<
  SizedStore & { reservations: string[]; provider_location: string | null },
  void
> {
  constructor(private readonly c: SnapshotManageContext) {
    super({ requires: ['snapshot_ref', 'size', 'reservations', 'provider_location'] });
  }

  async execute({
    snapshot_ref,
    size,
    reservations,
    provider_location,
  }: SizedStore & { reservations: string[]; provider_location: string | null }): Promise<void> {
    const db = this.c.deps.dbh.db;
    await withDeadlockRetry(() =>
      db.transaction().execute(async (trx) => {
        const values = { volume_size: size, ...(provider_location ? { provider_location } : {}) };
        if (!(await snapshotConditionalUpdate(trx, snapshot_ref.id, values, { status: ['creating'] })))
          throw new InvalidInput(`Snapshot ${snapshot_ref.id} is no longer being managed.`);
        await this.c.deps.quotas.commitIn(trx, reservations);
      }),
    );
  }
}

// ---- 7. CreateSnapshotOnFinishTask -----------------------------------------------------------------

/** `available` (progress 100%) and `snapshot.manage_existing_snapshot.end`. Revert: nothing. */
export class CreateSnapshotOnFinishTask extends Task<SizedStore, void> {
  constructor(private readonly c: SnapshotManageContext) {
    super({ requires: ['snapshot_ref', 'volume', 'size'] });
  }

  async execute({ snapshot_ref, volume, size }: SizedStore): Promise<void> {
    const db = this.c.deps.dbh.db;
    await snapshotUpdate(db, snapshot_ref.id, { status: 'available', progress: '100%' });
    const now = (await snapshotGet(db, snapshot_ref.id)) ?? {
      ...snapshot_ref,
      status: 'available',
      volume_size: size,
    };
    await this.c.deps.notifier.notify(
      `snapshot.${this.c.host}`,
      'snapshot.manage_existing_snapshot.end',
      snapshotUsagePayload(now, volume),
    );
  }
}

/**
 * The manager flow:
 * 1. ExtractSnapshotRefTask — load the row (and its volume)
 * 2. NotifySnapshotActionTask — `snapshot.manage_existing_snapshot.start`
 * 3. PrepareForQuotaReservationTask — the driver sizes the object
 * 4. QuotaReserveTask — gigabytes beyond those already counted
 * 5. ManageExistingTask — the driver adopts it
 * 6. QuotaCommitTask — the size and the gigabytes, together
 * 7. CreateSnapshotOnFinishTask — `available` + `snapshot.manage_existing_snapshot.end`
 */
export function getFlow(c: SnapshotManageContext): LinearFlow {
  return new LinearFlow(
    'snapshot:manage_existing_manager',
    new ExtractSnapshotRefTask(c),
    new NotifySnapshotActionTask(c, 'manage_existing_snapshot.start'),
    new PrepareForQuotaReservationTask(c),
    new QuotaReserveTask(c),
    new ManageExistingTask(c),
    new QuotaCommitTask(c),
    new CreateSnapshotOnFinishTask(c),
  );
}
