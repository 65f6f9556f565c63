/** `/messages` views (Cinder's `api/v3/views/messages.py`). */
import type { MessagesTable } from '../../db/schema.js';
import { userMessageFor } from '../../message/message-field.js';
import { resourceLinks, type LinkBase } from '../common/links.js';

/** One message: resource fields only when set; `guaranteed_until` is the expiry time. */
export function messageView(m: MessagesTable, links: LinkBase): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: m.id,
    event_id: m.event_id,
    user_message: m.detail_text
      ? `${userMessageFor(m.event_id)} ${m.detail_text}`
      : userMessageFor(m.event_id),
    message_level: m.message_level,
    created_at: m.created_at,
    guaranteed_until: m.expires_at,
    request_id: m.request_id,
    links: resourceLinks(links, 'messages', m.id),
  };
  if (m.resource_type) out.resource_type = m.resource_type;
  if (m.resource_uuid) out.resource_uuid = m.resource_uuid;
  return out;
}
