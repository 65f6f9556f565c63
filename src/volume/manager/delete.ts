import type { RequestContext } from '../../common/context.js';
import { DriverNotInitialized, VolumeIsBusy } from '../../common/errors.js';
import { snapshotCountForVolume } from '../../db/api/snapshots.js';
import { volumeConditionalUpdate, volumeGet } from '../../db/api/volumes.js';
import { workerFinish, workerStart } from '../../db/api/workers.js';
import { volumeUsagePayload } from '../../notify/volume-usage.js';
import { toDriverVolume } from '../driver-volume.js';
import { volumeDeleteLock } from '../snapshot-driver.js';
import { destroyVolumeReleasingQuota } from '../volume-destroy.js';
import { serialized, takeIfOurs, type ManagerBackend } from './backend.js';

/**
 * `delete_volume`: removes the backing object, releases quota, soft-deletes the row and emits
 * `volume.delete.start/end`. A driver failure leaves the volume in `error_deleting`. Holds
 * `<volume_id>-delete_volume` (Cinder's lock), so it waits for clones being made from the volume.
 * With `cascade` (or snapshots left `deleting` by one), the snapshots are deleted first.
 */
export async function deleteVolume(
  b: ManagerBackend,
  ctx: RequestContext,
  volumeId: string,
  cascade = false,
  unmanageOnly = false,
): Promise<void> {
  await b.deps.coordinator.withLock(volumeDeleteLock(volumeId), () =>
    serialized(b, volumeId, () => deleteLocked(b, ctx, volumeId, cascade, unmanageOnly)),
  );
}

async function deleteLocked(
  b: ManagerBackend,
  ctx: RequestContext,
  volumeId: string,
  cascade: boolean,
  unmanageOnly = false,
): Promise<void> {
  const db = b.deps.dbh.db;
  const v = await volumeGet(db, volumeId);
  const expected = unmanageOnly ? 'unmanaging' : 'deleting';
  if (!v || v.status !== expected || !(await takeIfOurs(b, v))) return;
  // NOTE: unmanage (Cinder's delete_volume(unmanage_only=True)): `unmanage.*` notifications, the
  // driver lets go of the object instead of removing it, a failure is `error_unmanaging`.
  const event = unmanageOnly ? 'unmanage' : 'delete';
  await workerStart(db, {
    resource_type: 'Volume',
    resource_id: volumeId,
    status: expected,
    service_id: b.serviceId(),
  });
  const publisher = `volume.${v.host ?? b.host}`;
  try {
    await b.deps.notifier.notify(publisher, `volume.${event}.start`, volumeUsagePayload(v));
    try {
      if (!b.initialized()) throw new DriverNotInitialized();
      if (unmanageOnly) {
        await b.driver.removeExport?.(toDriverVolume(v));
        if (!b.driver.unmanage) throw new Error('the driver cannot unmanage volumes');
        await b.driver.unmanage(toDriverVolume(v));
      } else {
        if (cascade || (await snapshotCountForVolume(db, volumeId)) > 0)
          await b.snapshots.deleteSnapshotsOfVolume(ctx, volumeId);
        // NOTE: a volume whose manage failed has no object of its own (the adopted one was given
        // its name back); nothing on the backend is removed for it.
        if (v.previous_status !== 'error_managing') await b.driver.deleteVolume(toDriverVolume(v));
      }
    } catch (e) {
      b.deps.log.error({ volume_id: volumeId, err: e }, 'delete_volume failed');
      // As Cinder's: a volume the backend reports busy (still in use there) stays `available`.
      const busy = e instanceof VolumeIsBusy;
      await volumeConditionalUpdate(
        db,
        volumeId,
        { status: busy ? 'available' : unmanageOnly ? 'error_unmanaging' : 'error_deleting' },
        { status: [expected] },
      );
      return;
    }
    await destroyVolumeReleasingQuota(b.deps, v);
    await b.deps.notifier.notify(
      publisher,
      `volume.${event}.end`,
      volumeUsagePayload({ ...v, status: 'deleted' }),
    );
    if (unmanageOnly) b.deps.log.info({ volume_id: volumeId }, 'Unmanaged volume successfully.');
  } finally {
    await workerFinish(db, 'Volume', volumeId);
  }
}
