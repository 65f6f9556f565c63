/** `/clusters` entries (Cinder's `api/v3/views/clusters.py`). */
import type { ClusterSummary } from '../../db/api/clusters.js';

type ClusterView = Pick<ClusterSummary, 'name' | 'binary' | 'is_up' | 'disabled' | 'replication_status'>;

/** Summary: name, binary, state, status (and replication_status at 3.26+). */
export function clusterSummary(c: ClusterView, replication: boolean): Record<string, unknown> {
  return {
    name: c.name,
    binary: c.binary,
    state: c.is_up ? 'up' : 'down',
    status: c.disabled ? 'disabled' : 'enabled',
    ...(replication ? { replication_status: c.replication_status } : {}),
  };
}

/**
 * Detail: the summary with the member counts, last heartbeat, times and disabled reason, and at
 * 3.26+ the replication fields. Missing times are shown as '' (Cinder's `_normalize`).
 */
export function clusterDetail(c: ClusterSummary, replication: boolean): Record<string, unknown> {
  return {
    ...clusterSummary(c, false),
    num_hosts: c.num_hosts,
    num_down_hosts: c.num_down_hosts,
    last_heartbeat: c.last_heartbeat ?? '',
    created_at: c.created_at,
    updated_at: c.updated_at ?? '',
    disabled_reason: c.disabled_reason,
    ...(replication
      ? {
          replication_status: c.replication_status,
          frozen: c.frozen === 1,
          active_backend_id: c.active_backend_id,
        }
      : {}),
  };
}
