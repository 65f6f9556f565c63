/**
 * Cinder's `attachment_deletion_allowed` (its Bug #2004555 guard): a user must not delete an
 * attachment that a server may still use, or the device stays on the compute host.
 * - no attachment to decide on (the volume has several and none was named, or the one named is
 *   gone): 409 `ConflictNovaUsingAttachment` with an empty instance id, as Cinder;
 * - an attachment of another volume: 400 `Mismatched volume and attachment`;
 * - one without a server or never connected: allowed;
 * - one connected to a server: Cinder asks Nova (and answers 500 when there is no Nova). Kindling
 *   has no compute service to ask, so it goes ahead as Cinder does when Nova does not know the
 *   server, with a warning in the log.
 */
import type { Logger } from 'pino';
import { ConflictNovaUsingAttachment, InvalidInput } from '../../common/errors.js';
import type { AttachmentRecord } from '../../db/api/attachments.js';

export function attachmentDeletionAllowed(
  a: AttachmentRecord | null,
  log: Pick<Logger, 'warn'>,
  volumeId: string | null = null,
): void {
  if (!a) throw new ConflictNovaUsingAttachment('');
  if (volumeId && volumeId !== a.volume_id) throw new InvalidInput('Mismatched volume and attachment');
  if (!a.instance_uuid || !a.connection_info || Object.keys(a.connection_info).length === 0) return;
  log.warn(
    { attachment_id: a.id, instance_uuid: a.instance_uuid },
    'Attachment connected to a server; no compute service to check it with, deleting the attachment',
  );
}
