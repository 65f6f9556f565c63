/**
 * `os-reserve` and `os-unreserve` (Cinder's `volume_api.reserve_volume` / `unreserve_volume`): a
 * consumer about to attach a volume marks it `attaching`, and gives it back if it does not attach.
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidVolume } from '../../common/errors.js';
import { volumeConditionalUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import type { ActionDeps } from './common.js';
import { ATTACH_STATUS, attachmentsOfVolume } from '../../db/api/attachments.js';
import { buildOrStr } from '../attachments/status-words.js';

/** `available` (or, multiattach, also `in-use`) → `attaching`; anything else is a 400. */
export async function reserveVolume(d: ActionDeps, ctx: RequestContext, v: VolumeRecord): Promise<void> {
  authorize(ctx, 'volume_extension:volume_actions:reserve', v.project_id);
  const allowed = v.multiattach ? ['available', 'in-use'] : ['available'];
  const done = await volumeConditionalUpdate(
    d.core.dbh.db,
    v.id,
    { status: 'attaching' },
    { status: allowed, multiattach: [v.multiattach] },
  );
  if (!done)
    throw new InvalidVolume(
      `Volume status must be ${buildOrStr(allowed)} to reserve, but the status is ${v.status}.`,
    );
}

/**
 * `attaching` → `in-use` when the volume still has attachments, else `available`; a volume not
 * reserved is left as it is (no error, as in Cinder).
 */
export async function unreserveVolume(d: ActionDeps, ctx: RequestContext, v: VolumeRecord): Promise<void> {
  authorize(ctx, 'volume_extension:volume_actions:unreserve', v.project_id);
  const attached = (await attachmentsOfVolume(d.core.dbh.db, v.id)).some(
    (a) => a.attach_status !== ATTACH_STATUS.DETACHED,
  );
  await volumeConditionalUpdate(
    d.core.dbh.db,
    v.id,
    { status: attached ? 'in-use' : 'available' },
    { status: ['attaching'] },
  );
}
