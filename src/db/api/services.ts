import { randomUUID } from 'node:crypto';
import type { Db } from './common.js';
import type { ServicesTable } from '../schema.js';
import { formatTimestamp, isoNow, parseTimestamp } from '../../common/time.js';
import { preparedQueries } from '../prepared-query.js';

export type ServiceRow = ServicesTable & { id: number };

/** What a service registers itself as: its row's identity in `services`. */
export interface ServiceValues {
  host: string;
  binary: string;
  topic: string;
  availability_zone: string;
  cluster_name?: string | null;
}

/**
 * A service's row and heartbeat as its manager sees them (Cinder's `Service` registers and
 * reports state; the manager is handed the result): `register` at start, `stop` at a clean stop.
 * The service wrapper's implementation is src/service/service-record.ts.
 */
export interface ServiceState {
  /** The row, once registered. */
  readonly row: ServiceRow | null;
  register(): Promise<ServiceRow>;
  stop(): Promise<void>;
}

/** What a manager's start is handed by the service wrapper, to make its ServiceState. */
export type ServiceStateFactory = (values: ServiceValues) => ServiceState;

/** Finds the live service row of `host`+`binary`, creating it if absent (a service's start). */
export async function serviceGetOrCreate(db: Db, values: ServiceValues): Promise<ServiceRow> {
  const existing = await db
    .selectFrom('services')
    .selectAll()
    .where('host', '=', values.host)
    .where('binary', '=', values.binary)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  const now = isoNow();
  if (existing) {
    await db
      .updateTable('services')
      .set({
        availability_zone: values.availability_zone,
        topic: values.topic,
        cluster_name: values.cluster_name ?? null,
        heartbeat_at: now,
        updated_at: now,
      })
      .where('id', '=', existing.id)
      .execute();
    return {
      ...existing,
      availability_zone: values.availability_zone,
      topic: values.topic,
      cluster_name: values.cluster_name ?? null,
      heartbeat_at: now,
    } as ServiceRow;
  }
  await db
    .insertInto('services')
    .values({
      uuid: randomUUID(),
      host: values.host,
      binary: values.binary,
      topic: values.topic,
      report_count: 0,
      disabled: 0,
      disabled_reason: null,
      availability_zone: values.availability_zone,
      cluster_name: values.cluster_name ?? null,
      frozen: 0,
      replication_status: 'not-capable',
      active_backend_id: null,
      modified_at: null,
      heartbeat_at: now,
      created_at: now,
      deleted: 0,
    })
    .execute();
  return (await db
    .selectFrom('services')
    .selectAll()
    .where('host', '=', values.host)
    .where('binary', '=', values.binary)
    .where('deleted', '=', 0)
    .executeTakeFirstOrThrow()) as ServiceRow;
}

/** Heartbeat (`report_state`): bumps the report count and the time the service was last seen. */
export async function serviceHeartbeat(db: Db, id: number): Promise<void> {
  const now = isoNow();
  await db
    .updateTable('services')
    .set((eb) => ({ report_count: eb('report_count', '+', 1), heartbeat_at: now, updated_at: now }))
    .where('id', '=', id)
    .execute();
}

/** Every live service row, optionally of one binary and/or host. */
export async function serviceGetAll(
  db: Db,
  filters: { binary?: string; host?: string } = {},
): Promise<ServiceRow[]> {
  let q = db.selectFrom('services').selectAll().where('deleted', '=', 0);
  if (filters.binary) q = q.where('binary', '=', filters.binary);
  if (filters.host) q = q.where('host', '=', filters.host);
  return (await q.orderBy('id').execute()) as ServiceRow[];
}

/**
 * Whether a live service of `binary` on `host` (or, given `cluster`, in that cluster) is frozen:
 * Cinder's `is_backend_frozen` on the service rows.
 */
export async function serviceFrozen(
  db: Db,
  binary: string,
  where: { host: string } | { cluster: string },
): Promise<boolean> {
  const { rows } =
    'host' in where
      ? await frozenServiceAt('host')(db, { binary, location: where.host })
      : await frozenServiceAt('cluster_name')(db, { binary, location: where.cluster });
  return rows.length > 0;
}

/** Per column (host or cluster): a frozen live service of a binary at a location, if any. */
const frozenServiceAt = preparedQueries(
  (column: 'host' | 'cluster_name') => (db: Db, v: { binary: string; location: string }) =>
    db
      .selectFrom('services')
      .select('id')
      .where('deleted', '=', 0)
      .where('binary', '=', v.binary)
      .where(column, '=', v.location)
      .where('frozen', '=', 1)
      .limit(1),
);

/** The live volume services' hosts, clusters, status and heartbeats (what `/healthcheck` checks). */
export function volumeServiceStates(
  db: Db,
): Promise<
  Pick<ServicesTable, 'host' | 'cluster_name' | 'disabled' | 'heartbeat_at' | 'updated_at' | 'created_at'>[]
> {
  return db
    .selectFrom('services')
    .select(['host', 'cluster_name', 'disabled', 'heartbeat_at', 'updated_at', 'created_at'])
    .where('deleted', '=', 0)
    .where('binary', '=', 'cinder-volume')
    .execute();
}

/** Up while the last heartbeat is within `service_down_time` seconds. */
export function serviceIsUp(
  row: Pick<ServicesTable, 'heartbeat_at' | 'updated_at' | 'created_at'>,
  downTimeSeconds: number,
  now = Date.now(),
): boolean {
  const last = row.heartbeat_at ?? row.updated_at ?? row.created_at;
  return now - parseTimestamp(last).getTime() <= downTimeSeconds * 1000;
}

/** Marks a service stopped now, so it shows as down at once (graceful shutdown). */
export async function serviceMarkStopped(db: Db, id: number, downTimeSeconds: number): Promise<void> {
  await db
    .updateTable('services')
    .set({ heartbeat_at: formatTimestamp(new Date(Date.now() - (downTimeSeconds + 1) * 1000)) })
    .where('id', '=', id)
    .execute();
}

/**
 * Cinder's `_filter_host`: `value` with `#` matches exactly (pool level); with `@`, also
 * `value#…` (backend level); otherwise also `value@…` and `value#…` (host level).
 */
export function hostMatches(value: string, host: string): boolean {
  if (host === value) return true;
  if (value.includes('#')) return false;
  if (host.startsWith(`${value}#`)) return true;
  return !value.includes('@') && host.startsWith(`${value}@`);
}

/** Live services of `binary` (exact) whose host matches `host` at Cinder's host-filter level. */
export async function serviceFind(
  db: Db,
  filters: { host?: string | null; binary?: string | null },
): Promise<ServiceRow[]> {
  let q = db.selectFrom('services').selectAll().where('deleted', '=', 0);
  if (filters.binary !== undefined && filters.binary !== null) q = q.where('binary', '=', filters.binary);
  const rows = (await q.orderBy('id').execute()) as ServiceRow[];
  const host = filters.host;
  return host ? rows.filter((r) => hostMatches(host, r.host)) : rows;
}

/** Enables or disables a service (`PUT /os-services/enable|disable|disable-log-reason`). */
export async function serviceSetDisabled(
  db: Db,
  id: number,
  disabled: boolean,
  disabledReason?: string | null,
): Promise<void> {
  // NOTE: like Cinder's `service_update`, a status change stamps `modified_at`, not `updated_at`.
  const patch: { disabled: 0 | 1; modified_at: string; disabled_reason?: string | null } = {
    disabled: disabled ? 1 : 0,
    modified_at: isoNow(),
  };
  if (disabledReason !== undefined) patch.disabled_reason = disabledReason;
  await db.updateTable('services').set(patch).where('id', '=', id).execute();
}

/** Soft-deletes a service row (`cinder-manage service remove`); false when it was already gone. */
export async function serviceDestroy(db: Db, id: number): Promise<boolean> {
  const now = isoNow();
  const res = await db
    .updateTable('services')
    .set({ deleted: 1, deleted_at: now, updated_at: now })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Compare-and-swap of one service's `frozen` or `replication_status`: set to `next` when its
 * value is one of `expected`. The number of rows changed (0 or 1).
 */
export async function serviceColumnConditionalUpdate(
  db: Db,
  id: number,
  column: 'frozen' | 'replication_status',
  expected: readonly (string | number)[],
  next: string | number,
): Promise<number> {
  const r = await db
    .updateTable('services')
    .set({ [column]: next } as never)
    .where('id', '=', id)
    .where(column, 'in', expected as never[])
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
