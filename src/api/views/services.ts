/** `/os-services` list entries (Cinder's `api/contrib/services.py` index, extended-services on). */
import type { ServiceRow } from '../../db/api/services.js';
import { parseTimestamp } from '../../common/time.js';
import type { APIVersion } from '../microversion.js';

/** What a service entry needs besides its row. */
export interface ServiceViewOptions {
  version: APIVersion;
  /** Heartbeat within `service_down_time`. */
  up: boolean;
  /** `backend_state` of `host@backend` from the scheduler's pools (3.49+, volume services). */
  backendState: ReadonlyMap<string, string>;
  now: number;
}

/** The later of `updated_at` and `modified_at` (a status change stamps only the latter). */
function shownUpdatedAt(s: ServiceRow, now: number): string | null {
  const updated = s.updated_at ?? s.created_at;
  if (!s.modified_at) return s.updated_at;
  const dUpd = Math.abs(now - parseTimestamp(updated).getTime());
  const dMod = Math.abs(now - parseTimestamp(s.modified_at).getTime());
  return dUpd >= dMod ? s.modified_at : s.updated_at;
}

/** One service: binary, host, zone, status, state, updated_at, and the per-version extras. */
export function serviceView(s: ServiceRow, o: ServiceViewOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    binary: s.binary,
    host: s.host,
    zone: s.availability_zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: o.up ? 'up' : 'down',
    updated_at: shownUpdatedAt(s, o.now),
  };
  const isVolume = s.binary === 'cinder-volume';
  if (o.version.gte('3.49') && isVolume) out.backend_state = o.backendState.get(s.host) ?? null;
  if (o.version.gte('3.7')) out.cluster = s.cluster_name;
  out.disabled_reason = s.disabled_reason;
  if (isVolume) {
    out.replication_status = s.replication_status;
    out.active_backend_id = s.active_backend_id;
    out.frozen = s.frozen === 1;
  }
  return out;
}
