/**
 * The first-generation attach calls on the volume service (Cinder's manager
 * `initialize_connection`, `terminate_connection`, `attach_volume`, `detach_volume`,
 * `remove_export`): the consumer connects with `os-initialize_connection`, then records the
 * attachment with `os-attach`; `os-detach` removes it and the export.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../common/context.js';
import {
  InvalidUUID,
  InvalidVolume,
  InvalidVolumeAttachMode,
  RemoveExportException,
  VolumeBackendAPIException,
  VolumeNotFound,
} from '../../common/errors.js';
import { isUuidLike } from '../../common/uuid.js';
import {
  ATTACH_STATUS,
  attachmentCreate,
  attachmentGet,
  attachmentUpdate,
  volumeAttached,
  volumeDetached,
  type AttachmentRecord,
} from '../../db/api/attachments.js';
import {
  volumeAdminMetadataGet,
  volumeGet,
  volumeMetadataUpdate,
  volumeUpdate,
  type VolumeRecord,
} from '../../db/api/volumes.js';
import { Action, Resource } from '../../message/message-field.js';
import { volumeUsagePayload } from '../../notify/volume-usage.js';
import { actionLog, publisher, type ActionBackend } from '../actions/manager/backend.js';
import type { ConnectionInfo, Connector } from '../driver.js';
import type { AttachVolumeArgs } from '../rpcapi.js';
import { driverVolumeOf, exportAndConnect, requireDriverInitialized } from './connection.js';

async function loadVolume(b: ActionBackend, id: string): Promise<VolumeRecord> {
  const v = await volumeGet(b.deps.dbh.db, id);
  if (!v) throw new VolumeNotFound(id);
  return v;
}

/** `initialize_connection`: export the volume and answer `{driver_volume_type, data}`. */
export async function initializeConnectionOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  args: { volume_id: string; connector: Connector },
): Promise<ConnectionInfo> {
  const v = await loadVolume(b, args.volume_id);
  const info = await exportAndConnect(b, v, args.connector);
  actionLog(b, ctx, v.id).info('Initialize volume connection completed successfully.');
  return info;
}

/** `terminate_connection`: the driver ends `connector`'s connection (the export stays). */
export async function terminateConnectionOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  args: { volume_id: string; connector: Connector | null; force: boolean },
): Promise<void> {
  requireDriverInitialized(b);
  const v = await loadVolume(b, args.volume_id);
  try {
    await b.driver.terminateConnection?.(await driverVolumeOf(b, v), args.connector, {
      force: args.force,
      otherAttachments: Math.max(0, v.volume_attachment.length - 1),
    });
  } catch (e) {
    throw new VolumeBackendAPIException(
      `Terminate volume connection failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  actionLog(b, ctx, v.id).info('Terminate volume connection completed successfully.');
}

/** Cinder's `sanitize_hostname`: what is left of a host name once made DNS-safe. */
function sanitizeHostname(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/[ _]/g, '-')
    .replace(/[^\w.-]+/g, '')
    .toLowerCase()
    .replace(/^[.-]+|[.-]+$/g, '');
}

/**
 * `attach_volume`: records the volume as attached to an instance (or host) at `mountpoint`. A
 * repeat for the same instance/host is answered with the existing attachment; a second consumer of
 * a volume that is not multiattach is refused; a read-only volume attaches only `ro`.
 */
export async function attachVolumeOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  a: AttachVolumeArgs,
): Promise<AttachmentRecord> {
  const db = b.deps.dbh.db;
  const v = await loadVolume(b, a.volume_id);
  const admin = await volumeAdminMetadataGet(db, v.id);
  if (v.status === 'attaching' && admin.attached_mode && admin.attached_mode !== a.mode)
    throw new InvalidVolume('being attached by different mode');
  const host = a.host_name ? sanitizeHostname(a.host_name) : null;
  const same = v.volume_attachment.find((x) =>
    a.instance_uuid ? x.instance_uuid === a.instance_uuid : host !== null && x.attached_host === host,
  );
  if (same) {
    await volumeUpdate(db, v.id, { status: 'in-use' });
    return same;
  }
  if (v.status === 'in-use' && !v.multiattach && !v.migration_status)
    throw new InvalidVolume('volume is already attached and multiple attachments are not enabled');

  await b.deps.notifier.notify(publisher(b), 'volume.attach.start', volumeUsagePayload(v));
  // `begin_attach`: an attaching row, and the mode the volume is being attached with.
  const id = randomUUID();
  await attachmentCreate(db, { id, volume_id: v.id, attach_status: ATTACH_STATUS.ATTACHING });
  await volumeMetadataUpdate(db, v.id, { attached_mode: a.mode }, false, 'volume_admin_metadata');
  if (a.instance_uuid && !isUuidLike(a.instance_uuid)) {
    await attachmentUpdate(db, id, { attach_status: ATTACH_STATUS.ERROR_ATTACHING });
    throw new InvalidUUID(a.instance_uuid);
  }
  try {
    if (admin.readonly === 'True' && a.mode !== 'ro') throw new InvalidVolumeAttachMode(a.mode, v.id);
    requireDriverInitialized(b);
  } catch (e) {
    await b.deps.messages.create(ctx, Action.ATTACH_VOLUME, {
      resourceType: Resource.VOLUME,
      resourceUuid: v.id,
      projectId: v.project_id,
      error: e,
    });
    await attachmentUpdate(db, id, { attach_status: ATTACH_STATUS.ERROR_ATTACHING });
    throw e;
  }
  await volumeAttached(db, id, {
    instance_uuid: a.instance_uuid,
    attached_host: host,
    mountpoint: a.mountpoint,
    attach_mode: a.mode,
    markAttached: true,
  });
  const after = await loadVolume(b, v.id);
  await b.deps.notifier.notify(publisher(b), 'volume.attach.end', volumeUsagePayload(after));
  actionLog(b, ctx, v.id).info({ attachment_id: id }, 'Attach volume completed successfully.');
  return (await attachmentGet(db, id))!;
}

/**
 * `detach_volume`: removes the attachment (the only one when no id is given) and the export. A
 * volume with no attachment left is simply made `available`.
 */
export async function detachVolumeOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  a: { volume_id: string; attachment_id: string | null },
): Promise<void> {
  const db = b.deps.dbh.db;
  const log = actionLog(b, ctx, a.volume_id);
  const v = await loadVolume(b, a.volume_id);
  let attachment: AttachmentRecord | undefined;
  if (a.attachment_id) {
    attachment = (await attachmentGet(db, a.attachment_id)) ?? undefined;
    if (!attachment) {
      log.info('Volume detach called, but volume not attached.');
      await volumeDetached(b.deps.dbh, v.id, a.attachment_id);
      return;
    }
  } else {
    if (v.volume_attachment.length > 1)
      throw new InvalidVolume(
        'Detach volume failed: More than one attachment, but no attachment_id provided.',
      );
    attachment = v.volume_attachment[0];
    if (!attachment) {
      log.info('Volume detach called, but volume not attached.');
      await volumeUpdate(db, v.id, { status: 'available', attach_status: 'detached' });
      return;
    }
  }
  await b.deps.notifier.notify(publisher(b), 'volume.detach.start', volumeUsagePayload(v));
  try {
    requireDriverInitialized(b);
  } catch (e) {
    await attachmentUpdate(db, attachment.id, { attach_status: ATTACH_STATUS.ERROR_DETACHING });
    throw e;
  }
  try {
    await b.driver.removeExport?.(await driverVolumeOf(b, v));
  } catch (e) {
    log.error({ err: e }, 'Detach volume failed, due to remove-export failure.');
    throw new RemoveExportException(v.id, e instanceof Error ? e.message : String(e));
  }
  await volumeDetached(b.deps.dbh, v.id, attachment.id);
  const after = (await volumeGet(db, v.id)) ?? v;
  await b.deps.notifier.notify(publisher(b), 'volume.detach.end', volumeUsagePayload(after));
  log.info('Detach volume completed successfully.');
}

/** `remove_export`. */
export async function removeExportOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  a: { volume_id: string },
): Promise<void> {
  requireDriverInitialized(b);
  const v = await loadVolume(b, a.volume_id);
  try {
    await b.driver.removeExport?.(await driverVolumeOf(b, v));
  } catch (e) {
    actionLog(b, ctx, v.id).error({ err: e }, 'Remove volume export failed.');
    throw new VolumeBackendAPIException('Remove volume export failed.');
  }
}
