/** Attachment views (Cinder's `api/v3/views/attachments.py`) and the volume view's `attachments`. */
import type { AttachmentRecord } from '../../db/api/attachments.js';

/** `{id, status, instance, volume_id}`: the list summary. */
export function attachmentSummary(a: AttachmentRecord): Record<string, unknown> {
  return { id: a.id, status: a.attach_status, instance: a.instance_uuid, volume_id: a.volume_id };
}

/** The summary plus times, mode and connection info (show, detail list, create, update). */
export function attachmentDetail(a: AttachmentRecord): Record<string, unknown> {
  return {
    ...attachmentSummary(a),
    // NOTE: Cinder shows a missing time as '' (its view's `_normalize`).
    attached_at: a.attach_time ?? '',
    detached_at: a.detach_time ?? '',
    attach_mode: a.attach_mode,
    connection_info: a.connection_info ?? {},
  };
}

/**
 * The volume view's `attachments`: only the attached ones, with the volume's id as `id`
 * (Cinder's `_get_attachments`); `host_name` only for admins.
 */
export function volumeAttachmentsView(
  attachments: readonly AttachmentRecord[],
  isAdmin: boolean,
): Record<string, unknown>[] {
  return attachments
    .filter((a) => a.attach_status === 'attached')
    .map((a) => ({
      id: a.volume_id,
      attachment_id: a.id,
      volume_id: a.volume_id,
      server_id: a.instance_uuid,
      host_name: isAdmin ? a.attached_host : null,
      device: a.mountpoint,
      attached_at: a.attach_time,
    }));
}
