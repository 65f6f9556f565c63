/**
 * The snapshot and the volume a new volume is made from, as the volumes API's create looks them up
 * (Cinder's `volume_api.get_snapshot` and `get_volume` in `VolumeController.create`): the
 * caller's (any, for an admin), or 404. NOTE: Kindling checks no policy on them here, as before;
 * Cinder checks `volume:get_snapshot` and `volume:get`.
 */
import type { RequestContext } from '../common/context.js';
import { SnapshotNotFound, VolumeNotFound } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import { snapshotGet, type SnapshotRecord } from '../db/api/snapshots.js';
import { volumeGet, type VolumeRecord } from '../db/api/volumes.js';

/** The snapshot `id` of the caller's project (any project's, for an admin), or `SnapshotNotFound`. */
export async function getSourceSnapshot(db: Db, ctx: RequestContext, id: string): Promise<SnapshotRecord> {
  const s = await snapshotGet(db, id, ctx.isAdmin ? null : ctx.projectId);
  if (!s) throw new SnapshotNotFound(id);
  return s;
}

/** The volume `id` of the caller's project (any project's, for an admin), or `VolumeNotFound`. */
export async function getSourceVolume(db: Db, ctx: RequestContext, id: string): Promise<VolumeRecord> {
  const v = await volumeGet(db, id, ctx.isAdmin ? null : ctx.projectId);
  if (!v) throw new VolumeNotFound(id);
  return v;
}
