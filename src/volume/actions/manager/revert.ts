/**
 * `revert_to_snapshot` on the volume's backend (Cinder's manager `revert_to_snapshot`): the driver
 * puts the snapshot's content back in the volume; volume `reverting` → `available` and snapshot
 * `restoring` → `available`, or volume `error` (snapshot `available`) when the driver fails.
 * `volume.revert.start/end` and `snapshot.revert.start/end` are emitted either way.
 *
 * NOTE: Cinder first takes a temporary backup snapshot for drivers whose revert is not atomic;
 * the file driver's is (a copy renamed over the volume), so none is taken.
 */
import type { RequestContext } from '../../../common/context.js';
import { DriverNotInitialized } from '../../../common/errors.js';
import { snapshotConditionalUpdate, snapshotGet, type SnapshotRecord } from '../../../db/api/snapshots.js';
import { volumeConditionalUpdate, volumeGet, type VolumeRecord } from '../../../db/api/volumes.js';
import { volumeUsagePayload } from '../../../notify/volume-usage.js';
import { toDriverVolume } from '../../driver-volume.js';
import { snapshotDeleteLock, toDriverSnapshot } from '../../snapshot-driver.js';
import { snapshotUsagePayload } from '../../snapshot-usage.js';
import { actionLog, publisher, type ActionBackend } from './backend.js';

async function notifyBoth(
  b: ActionBackend,
  v: VolumeRecord,
  s: SnapshotRecord,
  suffix: string,
): Promise<void> {
  await b.deps.notifier.notify(publisher(b), `volume.${suffix}`, volumeUsagePayload(v));
  await b.deps.notifier.notify(`snapshot.${b.host}`, `snapshot.${suffix}`, snapshotUsagePayload(s, v));
}

export async function revertOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  a: { volume_id: string; snapshot_id: string },
): Promise<void> {
  const db = b.deps.dbh.db;
  const log = actionLog(b, ctx, a.volume_id);
  const v = await volumeGet(db, a.volume_id);
  const s = await snapshotGet(db, a.snapshot_id);
  if (!v || !s || v.status !== 'reverting' || s.status !== 'restoring' || !(await b.takeIfOurs(v))) {
    log.info({ status: v?.status, snapshot_status: s?.status }, 'revert_to_snapshot: nothing to do');
    return;
  }
  // NOTE: held by anything copying from the snapshot, so a forced delete waits for the revert.
  await b.deps.coordinator.withLock(snapshotDeleteLock(s.id), async () => {
    await notifyBoth(b, v, s, 'revert.start');
    let ok = true;
    try {
      if (!b.initialized()) throw new DriverNotInitialized();
      if (!b.driver.revertToSnapshot) throw new Error('the driver cannot revert to a snapshot');
      const dv = toDriverVolume(v);
      await b.driver.revertToSnapshot(dv, toDriverSnapshot(s, dv));
    } catch (e) {
      ok = false;
      log.error({ err: e, snapshot_id: s.id }, `Volume ${v.id} revert to snapshot ${s.id} failed.`);
    }
    await volumeConditionalUpdate(
      db,
      v.id,
      { status: ok ? 'available' : 'error' },
      { status: ['reverting'] },
    );
    await snapshotConditionalUpdate(db, s.id, { status: 'available' }, { status: ['restoring'] });
    const [vAfter, sAfter] = [(await volumeGet(db, v.id)) ?? v, (await snapshotGet(db, s.id)) ?? s];
    await notifyBoth(b, vAfter, sAfter, 'revert.end');
    if (ok) log.info({ snapshot_id: s.id }, `Volume ${v.id} reverted to snapshot ${s.id} successfully.`);
  });
}
