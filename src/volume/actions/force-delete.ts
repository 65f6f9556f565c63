/** `os-force_delete` (admin): a delete without the status condition (Cinder's `delete(force=True)`). */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import type { VolumeRecord } from '../../db/api/volumes.js';
import type { ActionDeps } from './common.js';

export async function forceDelete(d: ActionDeps, ctx: RequestContext, v: VolumeRecord): Promise<void> {
  authorize(ctx, 'volume_extension:volume_admin_actions:force_delete', v.project_id);
  await d.volumes.delete(ctx, v, { cascade: false, force: true });
}
