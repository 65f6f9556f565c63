/** `os-set_bootable` (Cinder's `volume_api.update(volume, {'bootable': …})`). */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidVolume } from '../../common/errors.js';
import { volumeUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import type { ActionDeps } from './common.js';

/** Sets the bootable flag; any status but `maintenance`. */
export async function setBootable(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  bootable: boolean,
): Promise<void> {
  authorize(ctx, 'volume:update', v.project_id);
  if (v.status === 'maintenance') throw new InvalidVolume('The volume cannot be updated during maintenance.');
  await volumeUpdate(d.core.dbh.db, v.id, { bootable: bootable ? 1 : 0 });
}
