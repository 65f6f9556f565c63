/**
 * `os-reset_status` (admin, Cinder's `VolumeAdminController._reset_status`): writes `status`,
 * `attach_status` and/or `migration_status` as given (lower-cased; migration `none` → null), with
 * `volume.reset_status.start/end` notifications. No state machine: only `deleting` is refused, and
 * `in-use` without an attachment. `attach_status: detached` also removes every attachment.
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { BadRequest } from '../../common/errors.js';
import { metadataDelete } from '../../db/api/resource-metadata.js';
import { volumeGet, volumeUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { volumeDetached } from '../../db/api/attachments.js';
import { workerFinish } from '../../db/api/workers.js';
import type { VolumesTable } from '../../db/schema.js';
import { volumeUsagePayload } from '../../notify/volume-usage.js';
import type { ActionDeps } from './common.js';

/** The validated `os-reset_status` body. */
export interface ResetStatusBody {
  status?: string | null;
  attach_status?: string | null;
  migration_status?: string | null;
}

/** Cinder's `validate_update`: the columns to write (falsy fields are left out). */
export function resetUpdate(body: ResetStatusBody): Partial<VolumesTable> {
  const update: Partial<VolumesTable> = {};
  if (body.status) update.status = body.status.toLowerCase();
  if (body.attach_status) update.attach_status = body.attach_status.toLowerCase();
  if (body.migration_status) {
    const m = body.migration_status.toLowerCase();
    update.migration_status = m === 'none' ? null : m;
  }
  return update;
}

export async function resetStatus(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  body: ResetStatusBody,
): Promise<void> {
  authorize(ctx, 'volume_extension:volume_admin_actions:reset_status', v.project_id);
  const update = resetUpdate(body);
  // NOTE: Cinder means to refuse `error_deleting` and `detaching` too, but a missing comma in its
  // tuple leaves only `deleting`.
  if (update.status === 'deleting') throw new BadRequest(`Cannot reset-state to ${update.status}`);
  if (update.status === 'in-use' && v.volume_attachment.length === 0)
    throw new BadRequest('Cannot reset-state to in-use because volume does not have any attachments.');

  const db = d.core.dbh.db;
  const publisher = `volume.${d.core.config.DEFAULT.host}`;
  await d.core.notifier.notify(publisher, 'volume.reset_status.start', volumeUsagePayload(v));
  await volumeUpdate(db, v.id, update);
  // A cleanup record of the old status would only resume work that no longer applies.
  await workerFinish(db, 'Volume', v.id);
  if (update.attach_status === 'detached') {
    // Cinder's `_clean_volume_attachment`: every attachment goes (the volume's status follows:
    // `available`), and so does `attached_mode`.
    for (const a of v.volume_attachment) await volumeDetached(d.core.dbh, v.id, a.id);
    await metadataDelete(db, 'volume_admin_metadata', v.id, 'attached_mode');
    // NOTE: Cinder leaves the backend's export behind; Kindling asks the backend to remove it.
    if (v.volume_attachment.length && v.host)
      await d.rpc
        .removeExport(ctx, { host: v.host, cluster_name: v.cluster_name }, v.id)
        .catch((e: unknown) =>
          d.core.log.warn({ err: e, volume_id: v.id }, 'remove_export after reset failed'),
        );
  }
  const after = (await volumeGet(db, v.id)) ?? v;
  await d.core.notifier.notify(publisher, 'volume.reset_status.end', volumeUsagePayload(after));
}
