/**
 * The clusters of volume services as `/clusters` reads and changes them (Cinder's
 * `objects.ClusterList.get_all`, `Cluster.get_by_id` by name and binary, and `Cluster.save` in
 * `api/v3/clusters.py`).
 */
import { NotFound } from '../common/errors.js';
import { pythonRepr } from '../common/strutils.js';
import type { Db } from '../db/api/common.js';
import {
  clusterGetAll,
  clusterUpdate,
  type ClusterFilters,
  type ClusterSummary,
} from '../db/api/clusters.js';

/**
 * Cinder's `ClusterNotFound` for a lookup by name and binary: its id is the filters' dict, e.g.
 * `Cluster {'binary': 'cinder-volume', 'name': 'c1'} could not be found.`
 */
export class ClusterNotFound extends NotFound {
  constructor(name: string, binary: string | null) {
    const filters = { binary, name };
    super(`Cluster ${pythonRepr(filters)} could not be found.`);
  }
}

/** Live clusters matching every filter given, each with its hosts counted (up within `downTimeSeconds`). */
export function listClusters(
  db: Db,
  filters: ClusterFilters,
  downTimeSeconds: number,
): Promise<ClusterSummary[]> {
  return clusterGetAll(db, filters, downTimeSeconds);
}

/**
 * Cinder's `Cluster.get_by_id(None, name=…, binary=…)`: the first live cluster whose name
 * matches as `_filter_host` does (`c1` finds `c1@backend`); `binary` null matches any.
 */
export async function findCluster(
  db: Db,
  name: string,
  binary: string | null,
  downTimeSeconds: number,
): Promise<ClusterSummary> {
  const found = await clusterGetAll(db, { name, ...(binary === null ? {} : { binary }) }, downTimeSeconds);
  const first = found[0];
  if (!first) throw new ClusterNotFound(name, binary);
  return first;
}

/** Enables or disables a cluster, with the reason given (null clears it). */
export async function setClusterDisabled(
  db: Db,
  id: number,
  disabled: 0 | 1,
  disabledReason: string | null,
): Promise<void> {
  await clusterUpdate(db, id, { disabled, disabled_reason: disabledReason });
}
