/**
 * Transfer views (Cinder's `api/views/transfers.py`). Links always name the `os-volume-transfer`
 * collection, whichever route was asked; `no_snapshots` appears from 3.55, the history fields
 * (`destination_project_id`, `source_project_id`, `accepted`) from 3.57.
 */
import type { TransferRecord } from '../../db/api/transfers.js';
import type { APIVersion } from '../microversion.js';
import { resourceLinks, type LinkBase } from '../common/links.js';

/** The collection every transfer link names. */
export const TRANSFER_COLLECTION = 'os-volume-transfer';

function links(base: LinkBase, id: string) {
  return resourceLinks(base, TRANSFER_COLLECTION, id);
}

/** The microversioned extras of detail and create views. */
function extras(t: TransferRecord, version: APIVersion): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (version.gte('3.55')) out.no_snapshots = t.no_snapshots === 1;
  if (version.gte('3.57')) {
    out.destination_project_id = t.destination_project_id;
    out.source_project_id = t.source_project_id;
    out.accepted = t.accepted === 1;
  }
  return out;
}

/** List entry and accept answer: id, volume, name, links. */
export function transferSummary(
  t: Pick<TransferRecord, 'id' | 'volume_id' | 'display_name'>,
  base: LinkBase,
): Record<string, unknown> {
  return { id: t.id, volume_id: t.volume_id, name: t.display_name, links: links(base, t.id) };
}

/** Show and detailed-list entry. */
export function transferDetail(
  t: TransferRecord,
  base: LinkBase,
  version: APIVersion,
): Record<string, unknown> {
  return {
    id: t.id,
    created_at: t.created_at,
    name: t.display_name,
    volume_id: t.volume_id,
    links: links(base, t.id),
    ...extras(t, version),
  };
}

/** The create answer: the detail with the auth key (the only time it is shown). */
export function transferCreated(
  t: TransferRecord & { auth_key: string },
  base: LinkBase,
  version: APIVersion,
): Record<string, unknown> {
  return {
    id: t.id,
    created_at: t.created_at,
    name: t.display_name,
    volume_id: t.volume_id,
    auth_key: t.auth_key,
    links: links(base, t.id),
    ...extras(t, version),
  };
}
