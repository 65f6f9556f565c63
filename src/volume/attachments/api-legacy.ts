/**
 * The first-generation attach actions' volume side (Cinder's `volume/api.py` `begin_detaching`,
 * `roll_detaching`, `attach`, `detach`, `initialize_connection`, `terminate_connection`, and the
 * admin `os-force_detach`). Nova before the attachments API: `os-reserve` →
 * `os-initialize_connection` → `os-attach` (`in-use`); `os-begin_detaching` →
 * `os-terminate_connection` → `os-detach` (`available`).
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import {
  BadRequest,
  InvalidVolume,
  InvalidVolumeAttachMode,
  ServerErrorExplained,
  VolumeAttachmentNotFound,
  VolumeBackendAPIException,
} from '../../common/errors.js';
import { attachmentGet } from '../../db/api/attachments.js';
import {
  volumeAdminMetadataGet,
  volumeConditionalUpdate,
  volumeMetadataUpdate,
  type VolumeRecord,
} from '../../db/api/volumes.js';
import { AVAILABLE_MIGRATION_STATUS, type ActionDeps } from '../actions/common.js';
import { unreserveVolume } from '../actions/reserve.js';
import type { ConnectionInfo, Connector } from '../driver.js';
import { attachmentDeletionAllowed } from './deletion-allowed.js';

function placementOf(v: VolumeRecord): { host: string; cluster_name: string | null } {
  if (!v.host) throw new InvalidVolume(`Volume ${v.id} has no backend (status ${v.status}).`);
  return { host: v.host, cluster_name: v.cluster_name };
}

/** `in-use` and attached (not migrating) → `detaching`. */
export async function beginDetaching(d: ActionDeps, ctx: RequestContext, v: VolumeRecord): Promise<void> {
  authorize(ctx, 'volume_extension:volume_actions:begin_detaching', v.project_id);
  const done = await volumeConditionalUpdate(
    d.core.dbh.db,
    v.id,
    { status: 'detaching' },
    { status: ['in-use'], attach_status: ['attached'], migration_status: [...AVAILABLE_MIGRATION_STATUS] },
  );
  // NOTE: during a migration the user is not shown `detaching`; the migration's status does it.
  const migrating = v.migration_status !== null && !AVAILABLE_MIGRATION_STATUS.includes(v.migration_status);
  if (!done && !migrating)
    throw new InvalidVolume(
      "Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
    );
}

/** `detaching` → `in-use`; anything else is left alone. */
export async function rollDetaching(d: ActionDeps, ctx: RequestContext, v: VolumeRecord): Promise<void> {
  authorize(ctx, 'volume_extension:volume_actions:roll_detaching', v.project_id);
  await volumeConditionalUpdate(d.core.dbh.db, v.id, { status: 'in-use' }, { status: ['detaching'] });
}

function notInMaintenance(v: VolumeRecord, what: string): void {
  if (v.status === 'maintenance') throw new InvalidVolume(what);
}

/** `os-attach`: the backend records the attachment (a read-only volume only `ro`). */
export async function attachVolume(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  a: { instance_uuid: string | null; host_name: string | null; mountpoint: string; mode: string },
): Promise<void> {
  authorize(ctx, 'volume_extension:volume_actions:attach', v.project_id);
  notInMaintenance(v, 'The volume cannot be attached in maintenance mode.');
  // NOTE: as Cinder, `readonly` is recorded as 'False' on the first attach when never set.
  const admin = await volumeAdminMetadataGet(d.core.dbh.db, v.id);
  if (admin.readonly === undefined)
    await volumeMetadataUpdate(d.core.dbh.db, v.id, { readonly: 'False' }, false, 'volume_admin_metadata');
  if (admin.readonly === 'True' && a.mode !== 'ro') throw new InvalidVolumeAttachMode(a.mode, v.id);
  await d.rpc.attachVolume(ctx, placementOf(v), { volume_id: v.id, ...a });
}

/** `os-detach`: the backend removes the attachment (`attachment_id`, or the only one). */
export async function detachVolume(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  attachmentId: string | null,
): Promise<void> {
  authorize(ctx, 'volume_extension:volume_actions:detach', v.project_id);
  await deletionAllowed(d, v, attachmentId);
  notInMaintenance(v, 'The volume cannot be detached in maintenance mode.');
  await d.rpc.detachVolume(ctx, placementOf(v), { volume_id: v.id, attachment_id: attachmentId });
}

/**
 * The attachment a legacy detach is about (given, or the volume's only one) may go; a volume
 * without attachments has nothing to guard.
 */
async function deletionAllowed(d: ActionDeps, v: VolumeRecord, attachmentId: string | null): Promise<void> {
  if (!attachmentId && v.volume_attachment.length === 0) return;
  const a = attachmentId
    ? await attachmentGet(d.core.dbh.db, attachmentId)
    : v.volume_attachment.length === 1
      ? v.volume_attachment[0]!
      : null;
  attachmentDeletionAllowed(a, d.core.log, v.id);
}

/** `os-initialize_connection`: the backend exports the volume; answers the connection info. */
export async function initializeConnection(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  connector: Connector,
): Promise<ConnectionInfo> {
  authorize(ctx, 'volume_extension:volume_actions:initialize_connection', v.project_id);
  notInMaintenance(v, 'The volume connection cannot be initialized in maintenance mode.');
  return d.rpc.initializeConnection(ctx, placementOf(v), { volume_id: v.id, connector });
}

/** `os-terminate_connection`: the backend ends the connection; a reservation is given back. */
export async function terminateConnection(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  connector: unknown,
): Promise<void> {
  authorize(ctx, 'volume_extension:volume_actions:terminate_connection', v.project_id);
  await deletionAllowed(d, v, null);
  await d.rpc.terminateConnection(ctx, placementOf(v), { volume_id: v.id, connector, force: false });
  await unreserveVolume(d, ctx, v);
}

/**
 * `os-force_detach` (admin): end the connection and remove the attachment whatever the consumer
 * did. A backend failure to terminate is a 500 `Unable to terminate volume connection from
 * backend.`; a missing attachment or a volume that refuses is a 400.
 */
export async function forceDetach(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  connector: unknown,
  attachmentId: string | null,
): Promise<void> {
  authorize(ctx, 'volume_extension:volume_admin_actions:force_detach', v.project_id);
  try {
    await terminateConnection(d, ctx, v, connector);
  } catch (e) {
    if (e instanceof VolumeBackendAPIException)
      throw new ServerErrorExplained('Unable to terminate volume connection from backend.');
    throw e;
  }
  try {
    await detachVolume(d, ctx, v, attachmentId);
  } catch (e) {
    if (e instanceof VolumeAttachmentNotFound || e instanceof InvalidVolume)
      throw new BadRequest(`Error force detaching volume - ${e.name}: ${e.message}`);
    throw e;
  }
}
