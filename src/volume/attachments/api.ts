/**
 * The attachments API's volume side (Cinder's `volume/api.py` `attachment_create`,
 * `_attachment_reserve`, `attachment_update`, `attachment_delete` and the controller's
 * `os-complete`): a consumer reserves the volume (`reserved`), connects with its connector
 * (`attaching`, the backend exports the volume and answers how to reach it), completes (`in-use`)
 * and finally deletes the attachment (the backend ends the connection and the export).
 *
 * | call | volume before | volume after |
 * |---|---|---|
 * | create, no connector | `available` (or `in-use`, multiattach) | `reserved` |
 * | create/update with a connector | `reserved` | `attaching` |
 * | complete | any | `in-use` |
 * | delete | any | from the attachments left: `in-use`, `attaching`, `reserved` or `available` |
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidVolume, VolumeAttachmentNotFound } from '../../common/errors.js';
import type { PageRequest } from '../../db/api/common.js';
import {
  ATTACH_STATUS,
  ATTACHMENT_COLUMNS,
  AttachmentMarkerNotFound,
  attachmentCreate,
  attachmentGet,
  attachmentList,
  attachmentUpdate,
  attachmentsOfVolume,
  volumeDetached,
  type AttachmentListFilters,
  type AttachmentRecord,
} from '../../db/api/attachments.js';
import {
  volumeAdminMetadataGet,
  volumeConditionalUpdate,
  volumeGet,
  type VolumeRecord,
} from '../../db/api/volumes.js';
import { volumeUsagePayload } from '../../notify/volume-usage.js';
import type { ActionDeps } from '../actions/common.js';
import type { Connector } from '../driver.js';
import { attachmentDeletionAllowed } from './deletion-allowed.js';
import { buildOrStr } from './status-words.js';

// NOTE: re-exported as it is, so the API reads the columns an attachment list filters and sorts by
// here.
export { ATTACHMENT_COLUMNS };

/** The API's own notifications (`volume.<CONF.host>`). */
function apiPublisher(d: ActionDeps): string {
  return `volume.${d.core.config.DEFAULT.host}`;
}

/** An attachment the caller may see (another project's is a 404), with its volume. */
export async function getAttachment(
  d: ActionDeps,
  ctx: RequestContext,
  id: string,
): Promise<AttachmentRecord> {
  // NOTE: Cinder shows any attachment to anyone who knows its id; Kindling keeps projects apart.
  const a = await attachmentGet(d.core.dbh.db, id, ctx.isAdmin ? null : ctx.projectId);
  if (!a) throw new VolumeAttachmentNotFound(id);
  return a;
}

/**
 * A page of attachments (Cinder's `VolumeAttachmentList.get_all`, or `get_all_by_project` with a
 * project); a marker naming none is `VolumeAttachmentNotFound`.
 */
export async function listAttachments(
  d: ActionDeps,
  filters: AttachmentListFilters,
  page: PageRequest,
): Promise<AttachmentRecord[]> {
  try {
    return await attachmentList(d.core.dbh.db, filters, page);
  } catch (e) {
    if (e instanceof AttachmentMarkerNotFound) throw new VolumeAttachmentNotFound(e.marker);
    throw e;
  }
}

/**
 * `_attachment_reserve`: `available` (multiattach: also `in-use`; and `downloading`) → `reserved`,
 * and a `reserved` attachment row. A volume already attached to the same instance may be
 * reserved again (an instance moving between hosts).
 */
async function reserveAttachment(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  instanceUuid: string | null,
): Promise<string> {
  if (v.multiattach && v.status === 'in-use' && v.bootable)
    authorize(ctx, 'volume:multiattach_bootable_volume', v.project_id);
  const statuses = v.multiattach ? ['available', 'in-use', 'downloading'] : ['available', 'downloading'];
  const db = d.core.dbh.db;
  const done = await volumeConditionalUpdate(
    db,
    v.id,
    { status: 'reserved' },
    { status: statuses, multiattach: [v.multiattach] },
  );
  if (!done) {
    let override = false;
    if (instanceUuid && ['in-use', 'reserved'].includes(v.status)) {
      const attachments = await attachmentsOfVolume(db, v.id);
      override = attachments.some((a) => a.instance_uuid === instanceUuid);
    }
    if (!override)
      throw new InvalidVolume(
        `Volume ${v.id} status must be ${buildOrStr(statuses)} to reserve, but the current status is ${v.status}.`,
      );
  }
  const id = randomUUID();
  await attachmentCreate(db, {
    id,
    volume_id: v.id,
    attach_status: ATTACH_STATUS.RESERVED,
    instance_uuid: instanceUuid,
  });
  return id;
}

/**
 * `attachment_create`: reserve, and with a connector also connect. `attachMode` is the 3.54
 * `mode` (`'null'` when not given); a read-only volume always attaches `ro`.
 */
export async function attachmentCreateApi(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  instanceUuid: string | null,
  connector: Connector | null,
  attachMode: string,
): Promise<AttachmentRecord> {
  authorize(ctx, 'volume:attachment_create', v.project_id);
  if (v.status.includes('error'))
    throw new InvalidVolume(
      `Volume attachments can not be created if the volume is in an error state. The Volume ${v.id} currently has a status of: ${v.status} `,
    );
  const db = d.core.dbh.db;
  const id = await reserveAttachment(d, ctx, v, instanceUuid);
  // NOTE: Cinder takes any stored `readonly` (even 'False') as read-only here; Kindling only 'True'.
  const readonly = (await volumeAdminMetadataGet(db, v.id)).readonly === 'True';
  await attachmentUpdate(db, id, { attach_mode: readonly ? 'ro' : attachMode });
  if (connector) {
    try {
      const info = await d.rpc.attachmentUpdate(ctx, placementOf(v), {
        volume_id: v.id,
        connector,
        attachment_id: id,
      });
      await attachmentUpdate(db, id, { connection_info: info });
    } catch (e) {
      // NOTE: Cinder leaves the volume `reserved` with the attachment; Kindling gives the
      // reservation back, so a failed create changes nothing.
      await volumeDetached(d.core.dbh, v.id, id);
      throw e;
    }
  }
  return (await attachmentGet(db, id))!;
}

/** Where RPC for a volume goes. */
function placementOf(v: VolumeRecord): { host: string; cluster_name: string | null } {
  if (!v.host) throw new InvalidVolume(`Volume ${v.id} has no backend (status ${v.status}).`);
  return { host: v.host, cluster_name: v.cluster_name };
}

/**
 * `attachment_update`: connect a reserved attachment with `connector`. A volume that is not
 * multiattach refuses a second connected attachment (Cinder's "duplicate connectors").
 */
export async function attachmentUpdateApi(
  d: ActionDeps,
  ctx: RequestContext,
  a: AttachmentRecord,
  connector: Connector,
): Promise<AttachmentRecord> {
  authorize(ctx, 'volume:attachment_update', a.project_id);
  // NOTE: Cinder's lock name needs `connector.host` (a KeyError, 500, without it); any value does here.
  const host = typeof connector.host === 'string' ? connector.host : JSON.stringify(connector.host ?? '');
  return d.core.coordinator.withLock(`attachment_update-${a.volume_id}-${host}`, async () => {
    const db = d.core.dbh.db;
    const v = await volumeGet(db, a.volume_id);
    if (!v) throw new VolumeAttachmentNotFound(a.id);
    if (v.status.includes('error'))
      throw new InvalidVolume(
        `Volume attachments can not be updated if the volume is in an error state. The Volume ${v.id} currently has a status of: ${v.status} `,
      );
    if (v.volume_attachment.length > 1 && !v.multiattach) {
      const connected = v.volume_attachment.filter((x) => x.connection_info && x.id !== a.id);
      if (connected.length > 0) throw new InvalidVolume(`duplicate connectors detected on volume ${v.id}`);
    }
    const info = await d.rpc.attachmentUpdate(ctx, placementOf(v), {
      volume_id: v.id,
      connector,
      attachment_id: a.id,
    });
    await attachmentUpdate(db, a.id, { connection_info: info });
    return (await attachmentGet(db, a.id))!;
  });
}

/**
 * `attachment_delete`: the backend ends the connection (a reserved attachment never reached it),
 * the row goes, and the volume's status follows the attachments left. Answers those left.
 */
export async function attachmentDeleteApi(
  d: ActionDeps,
  ctx: RequestContext,
  a: AttachmentRecord,
): Promise<AttachmentRecord[]> {
  authorize(ctx, 'volume:attachment_delete', a.project_id);
  attachmentDeletionAllowed(a, d.core.log);
  const db = d.core.dbh.db;
  const v = await volumeGet(db, a.volume_id);
  if (!v) throw new VolumeAttachmentNotFound(a.id);
  if (a.attach_status === ATTACH_STATUS.RESERVED || !v.host)
    await d.core.notifier.notify(apiPublisher(d), 'volume.detach.start', volumeUsagePayload(v));
  else await d.rpc.attachmentDelete(ctx, placementOf(v), { attachment_id: a.id, volume_id: v.id });
  await volumeDetached(d.core.dbh, v.id, a.id);
  const after = (await volumeGet(db, v.id)) ?? v;
  await d.core.notifier.notify(apiPublisher(d), 'volume.detach.end', volumeUsagePayload(after));
  return after.volume_attachment;
}

/**
 * `os-complete` (3.44): the consumer says it is attached; the attachment is `attached`, the
 * volume `in-use`, and `attach.end` is sent. Cinder checks no status here.
 */
export async function attachmentCompleteApi(
  d: ActionDeps,
  ctx: RequestContext,
  a: AttachmentRecord,
): Promise<void> {
  const db = d.core.dbh.db;
  const v = await volumeGet(db, a.volume_id);
  if (!v) throw new VolumeAttachmentNotFound(a.id);
  authorize(ctx, 'volume:attachment_complete', a.project_id);
  await attachmentUpdate(db, a.id, { attach_status: ATTACH_STATUS.ATTACHED });
  await volumeConditionalUpdate(db, v.id, { status: 'in-use', attach_status: 'attached' }, {});
  const after = (await volumeGet(db, v.id)) ?? v;
  await d.core.notifier.notify(apiPublisher(d), 'volume.attach.end', volumeUsagePayload(after));
}
