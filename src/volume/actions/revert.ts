/**
 * `revert` (3.40+), API side (Cinder's `api/v3/volumes.py` `revert` and `volume/api.py`
 * `revert_to_snapshot`): only to the volume's latest snapshot, of the same size; the volume goes
 * `available` → `reverting` and the snapshot `available` → `restoring`, then `revert_to_snapshot`
 * is cast to the volume's backend.
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { BadRequest, Conflict, InvalidSnapshot, InvalidVolume } from '../../common/errors.js';
import { pythonStr } from '../../common/strutils.js';
import { snapshotConditionalUpdate, snapshotsForVolume } from '../../db/api/snapshots.js';
import { volumeConditionalUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { undoSwap, type ActionDeps } from './common.js';

/** Reverts `v` to snapshot `snapshotId` (as given in the body: possibly missing or not a string). */
export async function revertToSnapshot(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  snapshotId: unknown,
): Promise<void> {
  const db = d.core.dbh.db;
  // NOTE: Cinder's `snapshot_get_latest_for_volume` is project-scoped for non-admins.
  const mine = (await snapshotsForVolume(db, v.id)).filter(
    (s) => ctx.isAdmin || s.project_id === ctx.projectId,
  );
  const latest = mine.at(-1);
  if (!latest) throw new BadRequest(`Volume ${v.id} doesn't have any snapshots.`);
  if (snapshotId !== latest.id)
    throw new BadRequest(
      `Specified snapshot ${pythonStr(snapshotId)} is None or not the latest one of volume ${v.id}.`,
    );
  if (v.size !== latest.volume_size)
    throw new BadRequest(
      `Can't revert volume ${v.id} to its latest snapshot ${latest.id}. The volume size must be equal to the snapshot size.`,
    );
  authorize(ctx, 'volume:revert_to_snapshot', v.project_id);

  const what = `Can't revert volume ${v.id} to its latest snapshot ${latest.id}.`;
  if (!(await volumeConditionalUpdate(db, v.id, { status: 'reverting' }, { status: ['available'] })))
    throw new Conflict(new InvalidVolume(`${what} Volume's status must be 'available'.`).message);
  if (!(await snapshotConditionalUpdate(db, latest.id, { status: 'restoring' }, { status: ['available'] }))) {
    // NOTE: Cinder leaves the volume `reverting` here, stuck until an admin resets it; Kindling
    // gives it its status back.
    await undoSwap(d.core, v.id, { status: 'available' }, { status: 'reverting' });
    throw new Conflict(new InvalidSnapshot(`${what} Snapshot's status must be 'available'.`).message);
  }
  try {
    await d.rpc.revertToSnapshot(
      ctx,
      { host: v.host!, cluster_name: v.cluster_name },
      { volume_id: v.id, snapshot_id: latest.id },
    );
  } catch (e) {
    await snapshotConditionalUpdate(db, latest.id, { status: 'available' }, { status: ['restoring'] });
    await undoSwap(d.core, v.id, { status: 'available' }, { status: 'reverting' });
    throw e;
  }
}
