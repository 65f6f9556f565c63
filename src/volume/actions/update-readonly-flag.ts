/** `os-update_readonly_flag` (Cinder's `volume_api.update_readonly_flag`): admin metadata `readonly`. */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidVolume } from '../../common/errors.js';
import { volumeMetadataUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import type { ActionDeps } from './common.js';

/** Records `readonly` as `True`/`False` (Python's `str(bool)`); the volume must be `available`. */
export async function updateReadonlyFlag(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  readonly: boolean,
): Promise<void> {
  authorize(ctx, 'volume:update_readonly_flag', v.project_id);
  if (v.status !== 'available')
    throw new InvalidVolume(
      `Volume ${v.id} status must be available to update readonly flag, but current status is: ${v.status}.`,
    );
  await volumeMetadataUpdate(
    d.core.dbh.db,
    v.id,
    { readonly: readonly ? 'True' : 'False' },
    false,
    'volume_admin_metadata',
  );
}
