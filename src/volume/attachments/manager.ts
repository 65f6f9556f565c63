/**
 * The attachments' side on the volume service (Cinder's manager `attachment_update`,
 * `_connection_terminate`, `attachment_delete`) and the re-export of attached volumes when the
 * service (or its target daemon) starts again (`init_host`'s `ensure_export`).
 */
import type { RequestContext } from '../../common/context.js';
import { Action, Resource } from '../../message/message-field.js';
import { volumeUsagePayload } from '../../notify/volume-usage.js';
import {
  ATTACH_STATUS,
  attachmentGet,
  attachmentUpdate,
  volumeAttached,
  type AttachmentRecord,
} from '../../db/api/attachments.js';
import { volumeConditionalUpdate, volumeGet, type VolumeRecord } from '../../db/api/volumes.js';
import { volumesWithConnectedAttachments } from '../../db/api/volume-service-queries.js';
import { Invalid, VolumeAttachmentNotFound, VolumeNotFound } from '../../common/errors.js';
import { actionLog, publisher, type ActionBackend } from '../actions/manager/backend.js';
import type { Connector } from '../driver.js';
import { driverVolumeOf, exportAndConnect, requireDriverInitialized } from './connection.js';

/** `attachment_update` arguments (the connector as the consumer sent it). */
export interface AttachmentUpdateArgs {
  volume_id: string;
  connector: Connector;
  attachment_id: string;
}

async function loadVolume(b: ActionBackend, id: string): Promise<VolumeRecord> {
  const v = await volumeGet(b.deps.dbh.db, id);
  if (!v) throw new VolumeNotFound(id);
  return v;
}

async function loadAttachment(b: ActionBackend, id: string): Promise<AttachmentRecord> {
  const a = await attachmentGet(b.deps.dbh.db, id);
  if (!a) throw new VolumeAttachmentNotFound(id);
  return a;
}

/**
 * `_connection_create` + `attachment_update`: export the volume for `connector`, record the
 * connector on the attachment and mark it (and the volume) `attaching`. Returns the flat
 * connection info Cinder stores on the attachment (the driver's data, `driver_volume_type` and
 * `attachment_id` side by side).
 */
export async function attachmentUpdateOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  args: AttachmentUpdateArgs,
): Promise<Record<string, unknown>> {
  const db = b.deps.dbh.db;
  const v = await loadVolume(b, args.volume_id);
  const connector: Connector = { ...args.connector };
  let mode = typeof connector.mode === 'string' ? connector.mode : 'rw';
  await b.deps.notifier.notify(publisher(b), 'volume.attach.start', volumeUsagePayload(v));
  const attachment = await loadAttachment(b, args.attachment_id);
  // NOTE: a mode given at attachment create (3.54) wins over the connector's.
  if (attachment.attach_mode && attachment.attach_mode !== 'null') {
    mode = attachment.attach_mode;
    connector.mode = mode;
  }
  let info;
  try {
    requireDriverInitialized(b);
    info = await exportAndConnect(b, v, connector, mode);
  } catch (e) {
    // A bad connector (400) leaves the attachment as it was; a backend failure marks it.
    if (e instanceof Invalid) throw e;
    await b.deps.messages.create(ctx, Action.UPDATE_ATTACHMENT, {
      resourceType: Resource.VOLUME,
      resourceUuid: v.id,
      projectId: v.project_id,
      error: e,
    });
    await attachmentUpdate(db, attachment.id, { attach_status: ATTACH_STATUS.ERROR_ATTACHING });
    throw e;
  }
  const { data, ...rest } = info;
  const connectionInfo: Record<string, unknown> = { ...data, ...rest, attachment_id: attachment.id };
  await attachmentUpdate(db, attachment.id, {
    attach_status: ATTACH_STATUS.ATTACHING,
    connector,
    connection_info: connectionInfo,
  });
  await volumeAttached(db, attachment.id, {
    instance_uuid: attachment.instance_uuid,
    attached_host: typeof connector.host === 'string' ? connector.host : '',
    mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : 'na',
    attach_mode: mode,
    markAttached: false,
  });
  actionLog(b, ctx, v.id).info({ attachment_id: attachment.id }, 'attachment_update completed successfully.');
  return connectionInfo;
}

/**
 * `_connection_terminate`: ends the attachment's connection on the backend. Null when it has no
 * connector (nothing was connected); else whether other attachments share the export.
 */
async function connectionTerminate(
  b: ActionBackend,
  v: VolumeRecord,
  attachment: AttachmentRecord,
): Promise<boolean | null> {
  requireDriverInitialized(b);
  if (!attachment.connector) return null;
  const others = v.volume_attachment.filter((a) => a.id !== attachment.id).length;
  const shared = await b.driver.terminateConnection?.(await driverVolumeOf(b, v), attachment.connector, {
    force: false,
    otherAttachments: others,
  });
  return shared === true;
}

/**
 * `attachment_delete` on the backend: `detach.start`, end the connection, and remove the export
 * when no other attachment shares it. Failures to remove the export are logged, not raised (the
 * detach itself stands, as in Cinder).
 */
export async function attachmentDeleteOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  args: { attachment_id: string; volume_id: string },
): Promise<void> {
  requireDriverInitialized(b);
  const log = actionLog(b, ctx, args.volume_id);
  const v = await loadVolume(b, args.volume_id);
  const attachment = await loadAttachment(b, args.attachment_id);
  await b.deps.notifier.notify(publisher(b), 'volume.detach.start', volumeUsagePayload(v));
  const shared = await connectionTerminate(b, v, attachment);
  try {
    if (shared === false) await b.driver.removeExport?.(await driverVolumeOf(b, v));
  } catch (e) {
    log.warn({ err: e }, 'Failed to detach volume on the backend, ignoring failure');
  }
}

/** Attachment statuses of a volume whose export must exist. */
const EXPORTED = [ATTACH_STATUS.ATTACHING, ATTACH_STATUS.ATTACHED, ATTACH_STATUS.DETACHING];

/**
 * `init_host`'s re-export: every volume of this backend with a connected attachment gets its
 * export back (the iSCSI target lives in a daemon's memory). A volume that cannot be exported
 * again goes from `in-use` to `error`, as in Cinder. Returns the ids re-exported.
 */
export async function ensureExports(b: ActionBackend): Promise<string[]> {
  const d = b.driver;
  if (!d.ensureExport || !b.initialized()) return [];
  const db = b.deps.dbh.db;
  const where = b.cluster ?? b.host;
  const column = b.cluster ? 'volumes.cluster_name' : 'volumes.host';
  const ids = await volumesWithConnectedAttachments(db, { column, where }, EXPORTED);
  const done: string[] = [];
  for (const id of ids) {
    const v = await volumeGet(db, id);
    if (!v) continue;
    try {
      await d.ensureExport(await driverVolumeOf(b, v));
      done.push(id);
    } catch (e) {
      b.deps.log.error(
        { err: e, volume_id: id, host: b.host },
        'Failed to re-export volume, setting to ERROR.',
      );
      await volumeConditionalUpdate(db, id, { status: 'error' }, { status: ['in-use'] });
    }
  }
  if (done.length) b.deps.log.info({ host: b.host, volumes: done.length }, 'Re-exported attached volumes');
  return done;
}
