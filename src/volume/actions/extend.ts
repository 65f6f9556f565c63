/**
 * `os-extend`, API side (Cinder's `volume/api.py` `extend` / `extend_attached_volume`): checks the
 * new size, moves the volume to `extending` (compare-and-swap), reserves the added GiB (total and
 * per type) and casts `extend_volume` to the volume's backend, which commits or rolls back.
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidInput, InvalidVolume, VolumeSizeExceedsAvailableQuota } from '../../common/errors.js';
import { volumeConditionalUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { volumeTypeGet } from '../../db/api/volume-types.js';
import { OverQuota } from '../../quota/over-quota.js';
import { checkTypeSizeLimits, undoSwap, type ActionDeps } from './common.js';

/**
 * Extends `v` to `newSize` GiB. `attached` is the 3.42+ path for an `in-use` volume (policy
 * `volume:extend_attached_volume`, expected status `in-use`).
 */
export async function extendVolume(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  newSize: number,
  attached: boolean,
): Promise<void> {
  authorize(ctx, attached ? 'volume:extend_attached_volume' : 'volume:extend', v.project_id);
  const db = d.core.dbh.db;
  const increase = newSize - v.size;
  if (increase <= 0)
    throw new InvalidInput(
      `New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`,
    );
  checkTypeSizeLimits(newSize, await volumeTypeGet(db, v.volume_type_id));

  const expected = attached ? 'in-use' : 'available';
  const swapped = { status: 'extending', previous_status: v.status };
  if (!(await volumeConditionalUpdate(db, v.id, swapped, { status: [expected] })))
    throw new InvalidVolume(
      `Volume ${v.id} status must be '{'status': '${expected}'}' to extend, currently ${v.status}.`,
    );
  // NOTE: as Cinder, any failure before the cast gives the volume its status back.
  const giveBack = () =>
    undoSwap(d.core, v.id, { status: v.status, previous_status: v.previous_status }, swapped);

  let reservations: string[];
  try {
    // NOTE: Cinder checks the per-volume limit of the caller's project, then reserves on the owner's.
    await d.core.quotas.checkPerVolumeSize(ctx.projectId ?? v.project_id!, newSize);
    const deltas: Record<string, number> = { gigabytes: increase };
    if (v.volume_type_name) deltas[`gigabytes_${v.volume_type_name}`] = increase;
    try {
      reservations = await d.core.quotas.reserve(v.project_id!, deltas);
    } catch (e) {
      if (!(e instanceof OverQuota)) throw e;
      // NOTE: Cinder words this with the total `gigabytes` numbers even when only the per-type
      // key is over.
      const use = e.usages.gigabytes ?? { in_use: 0, reserved: 0 };
      throw new VolumeSizeExceedsAvailableQuota(
        'gigabytes',
        increase,
        e.quotas.gigabytes ?? 0,
        use.in_use + use.reserved,
      );
    }
  } catch (e) {
    await giveBack();
    throw e;
  }

  try {
    await d.rpc.extendVolume(
      ctx,
      { host: v.host!, cluster_name: v.cluster_name },
      { volume_id: v.id, new_size: newSize, reservations },
    );
  } catch (e) {
    await d.core.quotas.rollback(reservations);
    await giveBack();
    throw e;
  }
}
