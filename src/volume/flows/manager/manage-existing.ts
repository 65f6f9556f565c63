/**
 * The volume-service side of manage (Cinder's `volume/flows/manager/manage_existing.py`, flow
 * `volume:manage_existing_manager`): announce `manage_existing.start`, have the driver size the
 * object, reserve its gigabytes, have the driver adopt it (renamed `volume-<id>`), commit the
 * gigabytes with the volume's size, and finish `available` with `manage_existing.end`.
 *
 * Any failure leaves the volume `error_managing` and the object as it was: a task that ran is
 * reverted (the reservation rolled back, the object renamed back).
 */
import { Task, LinearFlow, type RevertOutcome } from '../../../flow/index.js';
import type { RequestContext } from '../../../common/context.js';
import { DriverNotInitialized, InvalidInput } from '../../../common/errors.js';
import { volumeTypeGet } from '../../../db/api/volume-types.js';
import { volumeConditionalUpdate, volumeUpdate, type VolumeRecord } from '../../../db/api/volumes.js';
import { volumeAdminMetadataKeyPurge } from '../../../db/api/volume-service-queries.js';
import { withDeadlockRetry } from '../../../db/retry.js';
import { isoNow } from '../../../common/time.js';
import { overQuotaToError, OverQuota } from '../../../quota/over-quota.js';
import { volumeUsagePayload } from '../../../notify/volume-usage.js';
import type { ExistingRef, ModelUpdate } from '../../driver.js';
import { NotifyVolumeActionTask, type ManagerFlowContext } from './create-volume.js';
import { toDriverVolume } from '../../driver-volume.js';
import { MANAGE_REF_KEY } from '../api/manage-existing.js';

type Store = { context: RequestContext; volume: VolumeRecord; manage_existing_ref: ExistingRef };

async function errorOut(c: ManagerFlowContext, volume: VolumeRecord): Promise<void> {
  await volumeUpdate(c.deps.dbh.db, volume.id, { status: 'error_managing' });
}

// ---- 1. NotifyVolumeActionTask (create-volume's): `volume.manage_existing.start` -------------------
// ---- 2. PrepareForQuotaReservationTask -------------------------------------------------------------

/**
 * The driver's `manage_existing_get_size`: the object's size in GiB, rounded up. An uninitialized
 * driver or a bad reference ends the volume `error_managing`.
 * Revert: the volume goes to `error_managing` (`Volume manage failed.`).
 */
export class PrepareForQuotaReservationTask extends Task<Store, number> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['context', 'volume', 'manage_existing_ref'], provides: ['size'] });
  }

  async execute({ volume, manage_existing_ref }: Store): Promise<number> {
    const driver = this.c.driver;
    if (!this.c.driverInitialized()) {
      await errorOut(this.c, volume);
      throw new DriverNotInitialized();
    }
    if (!driver.manageExistingGetSize || !driver.manageExisting) {
      await errorOut(this.c, volume);
      throw new InvalidInput('The volume driver of this backend cannot manage existing volumes.');
    }
    try {
      return await driver.manageExistingGetSize(toDriverVolume(volume), manage_existing_ref);
    } catch (e) {
      await errorOut(this.c, volume);
      throw e;
    }
  }

  override async revert({ volume }: Store): Promise<void> {
    await errorOut(this.c, volume);
    this.c.deps.log.error({ volume_id: volume.id }, `Volume ${volume.id}: manage failed.`);
  }
}

// ---- 3. QuotaReserveTask ---------------------------------------------------------------------------

type ReserveInputs = Store & { size: number };

/**
 * Reserves the object's gigabytes (and the type's `gigabytes_<type>`; the volume itself was
 * counted by the api flow), after the per-volume size limit (Cinder's `update_size` reservation).
 * Revert: rolls the reservation back.
 */
export class QuotaReserveTask extends Task<ReserveInputs, string[]> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['context', 'volume', 'size'], provides: ['reservations'] });
  }

  async execute({ volume, size }: ReserveInputs): Promise<string[]> {
    const type = await volumeTypeGet(this.c.deps.dbh.db, volume.volume_type_id, true);
    const deltas: Record<string, number> = { gigabytes: size };
    if (type) deltas[`gigabytes_${type.name}`] = size;
    try {
      return await this.c.deps.quotas.reserve(volume.project_id!, deltas, { perVolumeGigabytes: size });
    } catch (e) {
      if (e instanceof OverQuota) throw overQuotaToError(e, deltas);
      throw e;
    }
  }

  override async revert(_i: ReserveInputs, { result }: RevertOutcome<string[]>): Promise<void> {
    if (result) await this.c.deps.quotas.rollback(result);
  }
}

// ---- 4. ManageExistingTask -------------------------------------------------------------------------

/**
 * The driver's `manage_existing`: the object becomes the volume's (renamed `volume-<id>`); its
 * model update (provider_location…) is saved.
 * Revert (Kindling): the driver gives the object its old name back.
 */
export class ManageExistingTask extends Task<ReserveInputs, VolumeRecord> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['context', 'volume', 'manage_existing_ref', 'size'], provides: ['volume'] });
  }

  async execute({ volume, manage_existing_ref }: ReserveInputs): Promise<VolumeRecord> {
    const update: ModelUpdate =
      (await this.c.driver.manageExisting!(toDriverVolume(volume), manage_existing_ref)) ?? {};
    if (Object.keys(update).length) await volumeUpdate(this.c.deps.dbh.db, volume.id, update);
    return { ...volume, ...update };
  }

  override async revert(
    { volume, manage_existing_ref }: ReserveInputs,
    { result }: RevertOutcome,
  ): Promise<void> {
    if (result === undefined) return;
    try {
      await this.c.driver.revertManageExisting?.(toDriverVolume(volume), manage_existing_ref);
    } catch (e) {
      this.c.deps.log.error(
        { volume_id: volume.id, ref: manage_existing_ref, err: e },
        'manage_existing: could not give the object its name back',
      );
    }
  }
}

// ---- 5. QuotaCommitTask ----------------------------------------------------------------------------

type CommitInputs = ReserveInputs & { reservations: string[] };

/**
 * Commits the gigabytes and writes the volume's size in one transaction, so the usage and the
 * sizes of the project's volumes never disagree (Cinder commits, then saves the size).
 * Revert: nothing (the last step cannot fail in a way that undoes a managed volume).
 */
export class QuotaCommitTask extends Task<CommitInputs, VolumeRecord> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['volume', 'size', 'reservations'], provides: ['volume'] });
  }

  async execute({ volume, size, reservations }: CommitInputs): Promise<VolumeRecord> {
    const db = this.c.deps.dbh.db;
    await withDeadlockRetry(() =>
      db.transaction().execute(async (trx) => {
        if (!(await volumeConditionalUpdate(trx, volume.id, { size }, { status: ['managing'] })))
          throw new InvalidInput(`Volume ${volume.id} is no longer being managed.`);
        await this.c.deps.quotas.commitIn(trx, reservations);
      }),
    );
    return { ...volume, size };
  }
}

// ---- 6. CreateVolumeOnFinishTask -------------------------------------------------------------------

/**
 * `available`, launched now (the kept reference dropped), and `volume.manage_existing.end`.
 * Revert: nothing.
 */
export class CreateVolumeOnFinishTask extends Task<{ volume: VolumeRecord }, void> {
  constructor(private readonly c: ManagerFlowContext) {
    super({ requires: ['volume'] });
  }

  async execute({ volume }: { volume: VolumeRecord }): Promise<void> {
    const launched_at = isoNow();
    const placed = { service_uuid: this.c.serviceUuid ?? null, shared_targets: 0 as const };
    const db = this.c.deps.dbh.db;
    await volumeUpdate(db, volume.id, { status: 'available', launched_at, ...placed });
    await volumeAdminMetadataKeyPurge(db, volume.id, MANAGE_REF_KEY);
    const done = { ...volume, ...placed, status: 'available', launched_at, updated_at: launched_at };
    await this.c.deps.notifier.notify(
      `volume.${volume.host ?? this.c.host}`,
      'volume.manage_existing.end',
      volumeUsagePayload(done),
    );
    this.c.deps.log.info(
      { volume_id: volume.id, size: volume.size },
      'Manage existing volume completed successfully.',
    );
  }
}

/**
 * The manager flow:
 * 1. NotifyVolumeActionTask — `volume.manage_existing.start`
 * 2. PrepareForQuotaReservationTask — the driver sizes the object
 * 3. QuotaReserveTask — its gigabytes
 * 4. ManageExistingTask — the driver adopts it
 * 5. QuotaCommitTask — the size and the gigabytes, together
 * 6. CreateVolumeOnFinishTask — `available` + `volume.manage_existing.end`
 */
export function getFlow(c: ManagerFlowContext): LinearFlow {
  return new LinearFlow(
    'volume:manage_existing_manager',
    new NotifyVolumeActionTask(c, 'manage_existing.start'),
    new PrepareForQuotaReservationTask(c),
    new QuotaReserveTask(c),
    new ManageExistingTask(c),
    new QuotaCommitTask(c),
    new CreateVolumeOnFinishTask(c),
  );
}
