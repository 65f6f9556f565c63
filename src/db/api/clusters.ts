/**
 * The `clusters` table (Cinder's `cluster_*` db api and `Cluster` object): one row per
 * (name, binary) of an active-active cluster, with the member counts and last heartbeat counted
 * from the members' service rows when read.
 */
import type { Db } from './common.js';
import type { ClustersTable } from '../schema.js';
import { formatTimestamp, isoNow, parseTimestamp } from '../../common/time.js';
import { hostMatches, serviceGetAll, serviceIsUp, type ServiceRow } from './services.js';

export type ClusterRow = ClustersTable & { id: number };

/** A cluster with what its members say: counts, last heartbeat and whether it is up. */
export interface ClusterSummary extends ClusterRow {
  num_hosts: number;
  num_down_hosts: number;
  /** The newest heartbeat of any member (null when it has none). */
  last_heartbeat: string | null;
  /** Cinder's `is_up`: the last heartbeat is within `service_down_time`. */
  is_up: boolean;
}

/** List filters, as Cinder's `ClusterList.get_all` takes them (already typed). */
export interface ClusterFilters {
  name?: string;
  binary?: string;
  is_up?: boolean;
  disabled?: boolean;
  num_hosts?: number;
  num_down_hosts?: number;
  replication_status?: string;
  frozen?: boolean;
  active_backend_id?: string;
}

/** The live cluster of `name` (exact) and `binary`, or null. */
export async function clusterGet(db: Db, name: string, binary: string): Promise<ClusterRow | null> {
  const row = await db
    .selectFrom('clusters')
    .selectAll()
    .where('name', '=', name)
    .where('binary', '=', binary)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return (row as ClusterRow | undefined) ?? null;
}

/**
 * Cinder's `Service._ensure_cluster_exists`: the cluster's row, made from the joining service's
 * values (disabled, replication fields) when it does not exist yet. Two members starting at once
 * both try to insert; the unique (name, binary, race_preventer) lets one win and the other reads
 * the winner's row.
 */
export async function clusterGetOrCreate(
  db: Db,
  values: {
    name: string;
    binary: string;
    disabled: 0 | 1;
    replication_status: string | null;
    active_backend_id: string | null;
    frozen: 0 | 1;
  },
): Promise<ClusterRow> {
  const existing = await clusterGet(db, values.name, values.binary);
  if (existing) return existing;
  try {
    await db
      .insertInto('clusters')
      .values({ ...values, disabled_reason: null, race_preventer: 0, created_at: isoNow(), deleted: 0 })
      .execute();
  } catch (e) {
    // NOTE: a duplicate: another member made it between our read and our insert.
    const raced = await clusterGet(db, values.name, values.binary);
    if (raced) return raced;
    throw e;
  }
  const made = await clusterGet(db, values.name, values.binary);
  if (!made) throw new Error(`cluster ${values.name} vanished after its creation`);
  return made;
}

/** Adds the members' counts and heartbeat to cluster rows. */
function summarize(
  rows: ClusterRow[],
  services: ServiceRow[],
  downTime: number,
  now: number,
): ClusterSummary[] {
  return rows.map((c) => {
    const members = services.filter((s) => s.cluster_name === c.name && s.binary === c.binary);
    let last: number | null = null;
    let down = 0;
    for (const s of members) {
      const beat = s.heartbeat_at ?? s.updated_at ?? s.created_at;
      const t = parseTimestamp(beat).getTime();
      if (last === null || t > last) last = t;
      if (!serviceIsUp(s, downTime, now)) down++;
    }
    return {
      ...c,
      num_hosts: members.length,
      num_down_hosts: down,
      last_heartbeat: last === null ? null : formatTimestamp(new Date(last)),
      is_up: last !== null && now - last <= downTime * 1000,
    };
  });
}

/**
 * Cinder's `cluster_get_all`: live clusters matching every filter given. `name` matches as
 * Cinder's `_filter_host` does (`c1` also finds `c1@backend`).
 */
export async function clusterGetAll(
  db: Db,
  filters: ClusterFilters,
  downTimeSeconds: number,
): Promise<ClusterSummary[]> {
  let q = db.selectFrom('clusters').selectAll().where('deleted', '=', 0);
  if (filters.binary !== undefined) q = q.where('binary', '=', filters.binary);
  if (filters.disabled !== undefined) q = q.where('disabled', '=', filters.disabled ? 1 : 0);
  if (filters.frozen !== undefined) q = q.where('frozen', '=', filters.frozen ? 1 : 0);
  if (filters.replication_status !== undefined)
    q = q.where('replication_status', '=', filters.replication_status);
  if (filters.active_backend_id !== undefined)
    q = q.where('active_backend_id', '=', filters.active_backend_id);
  const rows = (await q.orderBy('id').execute()) as ClusterRow[];
  const named = filters.name === undefined ? rows : rows.filter((c) => hostMatches(filters.name!, c.name));
  const services = named.length ? await serviceGetAll(db) : [];
  return summarize(named, services, downTimeSeconds, Date.now()).filter(
    (c) =>
      (filters.is_up === undefined || c.is_up === filters.is_up) &&
      (filters.num_hosts === undefined || c.num_hosts === filters.num_hosts) &&
      (filters.num_down_hosts === undefined || c.num_down_hosts === filters.num_down_hosts),
  );
}

/** One cluster by exact name and binary, with its summary; null when there is none. */
export async function clusterGetSummary(
  db: Db,
  name: string,
  binary: string,
  downTimeSeconds: number,
): Promise<ClusterSummary | null> {
  const row = await clusterGet(db, name, binary);
  if (!row) return null;
  const services = await serviceGetAll(db, { binary });
  return summarize([row], services, downTimeSeconds, Date.now())[0] ?? null;
}

/** Sets columns of a live cluster; false when it is gone. */
export async function clusterUpdate(
  db: Db,
  id: number,
  values: Partial<
    Pick<ClusterRow, 'disabled' | 'disabled_reason' | 'frozen' | 'replication_status' | 'active_backend_id'>
  >,
): Promise<boolean> {
  const r = await db
    .updateTable('clusters')
    .set({ ...values, updated_at: isoNow() })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Compare-and-swap of one column of a live cluster (Cinder's `cluster.conditional_update`): the
 * value is written only while the column holds one of `expected`.
 */
export async function clusterConditionalUpdate(
  db: Db,
  id: number,
  column: 'frozen' | 'replication_status',
  expected: readonly (string | number)[],
  next: string | number,
): Promise<boolean> {
  const r = await db
    .updateTable('clusters')
    .set({ [column]: next, updated_at: isoNow() } as never)
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .where(column, 'in', expected as never[])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * A clustered service's start (Cinder's `_ensure_cluster_exists`): the cluster's row is made from
 * the service's values if it does not exist; if it does, the service takes the cluster's
 * replication fields and frozen flag (unless its replication is in error).
 */
export async function clusterJoin(db: Db, service: ServiceRow): Promise<ClusterRow | null> {
  if (!service.cluster_name) return null;
  const cluster = await clusterGetOrCreate(db, {
    name: service.cluster_name,
    binary: service.binary,
    disabled: service.disabled,
    replication_status: service.replication_status,
    active_backend_id: service.active_backend_id,
    frozen: service.frozen,
  });
  const inError = ['error', 'failover-error'].includes(service.replication_status ?? '');
  if (
    !inError &&
    (service.replication_status !== cluster.replication_status ||
      service.active_backend_id !== cluster.active_backend_id ||
      service.frozen !== cluster.frozen)
  )
    await db
      .updateTable('services')
      .set({
        replication_status: cluster.replication_status,
        active_backend_id: cluster.active_backend_id,
        frozen: cluster.frozen,
      })
      .where('id', '=', service.id)
      .execute();
  return cluster;
}
