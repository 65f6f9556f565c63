/**
 * The narrow reads and writes of volume rows the scheduler and the volume services make for
 * their own bookkeeping (the sweep of unplaced volumes, placement and backend lookups, a service's
 * volumes at start-up and in cleanup), beside the row API of volumes.ts.
 */
import type { Db } from './common.js';
import { preparedQuery } from '../prepared-query.js';

/**
 * Live volumes still `creating` with no host, made before `cutoff` and not updated since (a
 * formatted timestamp): the scheduler's sweep of volumes never placed.
 */
export async function volumesUnscheduledBefore(db: Db, cutoff: string): Promise<string[]> {
  const rows = await db
    .selectFrom('volumes')
    .select('id')
    .where('deleted', '=', 0)
    .where('status', '=', 'creating')
    .where('host', 'is', null)
    .where('created_at', '<', cutoff)
    .where((eb) => eb.or([eb('updated_at', 'is', null), eb('updated_at', '<', cutoff)]))
    .execute();
  return rows.map((r) => r.id);
}

/** Where a live volume is (or is not yet) placed, with its status and project; undefined when none. */
export function volumePlacementGet(
  db: Db,
  id: string,
): Promise<
  { status: string; host: string | null; cluster_name: string | null; project_id: string | null } | undefined
> {
  return placementOf(db, { id }).then((r) => r.rows[0]);
}

const placementOf = preparedQuery((db, v: { id: string }) =>
  db
    .selectFrom('volumes')
    .select(['status', 'host', 'cluster_name', 'project_id'])
    .where('id', '=', v.id)
    .where('deleted', '=', 0),
);

/** The `host` and `cluster_name` of volume `id` (deleted or not), or undefined when there is no such row. */
export function volumeBackendGet(
  db: Db,
  id: string,
): Promise<{ host: string | null; cluster_name: string | null } | undefined> {
  return db.selectFrom('volumes').select(['host', 'cluster_name']).where('id', '=', id).executeTakeFirst();
}

/** The availability zone of volume `id` (deleted or not), or undefined when there is no such row. */
export function volumeAvailabilityZoneGet(
  db: Db,
  id: string,
): Promise<{ availability_zone: string | null } | undefined> {
  return db.selectFrom('volumes').select('availability_zone').where('id', '=', id).executeTakeFirst();
}

/**
 * Live volumes of a service with a live attachment in one of `attachStatuses` that has a
 * connector: those whose `column` (its cluster when clustered, else its host) is `where` or any
 * pool of it. Their ids, each once.
 */
export async function volumesWithConnectedAttachments(
  db: Db,
  by: { column: 'volumes.cluster_name' | 'volumes.host'; where: string },
  attachStatuses: readonly string[],
): Promise<string[]> {
  const { column, where } = by;
  const rows = await db
    .selectFrom('volumes')
    .innerJoin('volume_attachment', 'volume_attachment.volume_id', 'volumes.id')
    .select('volumes.id')
    .distinct()
    .where('volumes.deleted', '=', 0)
    .where('volume_attachment.deleted', '=', 0)
    .where('volume_attachment.attach_status', 'in', [...attachStatuses])
    .where('volume_attachment.connector', 'is not', null)
    .where((eb) => eb.or([eb(column, '=', where), eb(column, 'like', `${where}#%`)]))
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Live volumes of a service (Cinder's `_get_my_volumes`): those whose `column` (its cluster when
 * clustered, else its host) is `where` or any pool of it.
 */
export function volumesOfService(
  db: Db,
  by: { column: 'cluster_name' | 'host'; where: string },
): Promise<{ id: string; size: number }[]> {
  const { column: col, where } = by;
  return db
    .selectFrom('volumes')
    .select(['id', 'size', col])
    .where('deleted', '=', 0)
    .where((eb) => eb.or([eb(col, '=', where), eb(col, 'like', `${where}#%`)]))
    .execute();
}

/**
 * Live volumes of a service left `managing`, with the value of their admin metadata `refKey` (the
 * kept manage reference); the service as in {@link volumesOfService}.
 */
export function volumesManagingOfService(
  db: Db,
  by: { column: 'cluster_name' | 'host'; where: string },
  refKey: string,
): Promise<{ id: string; ref: string }[]> {
  const { column: col, where } = by;
  return db
    .selectFrom('volumes')
    .innerJoin('volume_admin_metadata as m', 'm.volume_id', 'volumes.id')
    .select(['volumes.id as id', 'm.value as ref'])
    .where('volumes.deleted', '=', 0)
    .where('volumes.status', '=', 'managing')
    .where('m.key', '=', refKey)
    .where((eb) => eb.or([eb(`volumes.${col}`, '=', where), eb(`volumes.${col}`, 'like', `${where}#%`)]))
    .execute();
}

/** Removes (a hard delete, not a soft one) a volume's admin metadata rows of `key`. */
export async function volumeAdminMetadataKeyPurge(db: Db, volumeId: string, key: string): Promise<void> {
  await db
    .deleteFrom('volume_admin_metadata')
    .where('volume_id', '=', volumeId)
    .where('key', '=', key)
    .execute();
}

/**
 * Live volumes on a pool of `host` (`host#…`) still creating or deleting; with `cutoff` (a
 * formatted timestamp) only those not updated since, or never updated and created before it.
 */
export function volumesInProgressOnHost(
  db: Db,
  host: string,
  cutoff?: string,
): Promise<{ id: string; status: string }[]> {
  let q = db
    .selectFrom('volumes')
    .select(['id', 'status'])
    .where('deleted', '=', 0)
    .where('host', 'like', `${host}#%`)
    .where('status', 'in', ['creating', 'deleting']);
  if (cutoff !== undefined)
    q = q.where((eb) =>
      eb.or([
        eb('updated_at', '<', cutoff),
        eb.and([eb('updated_at', 'is', null), eb('created_at', '<', cutoff)]),
      ]),
    );
  return q.execute();
}

/** Live volumes on a pool of cluster `cluster` (`cluster#…`) still creating or deleting, with their host. */
export function volumesInProgressInCluster(
  db: Db,
  cluster: string,
): Promise<{ id: string; status: string; host: string | null }[]> {
  return db
    .selectFrom('volumes')
    .select(['id', 'status', 'host'])
    .where('deleted', '=', 0)
    .where('cluster_name', 'like', `${cluster}#%`)
    .where('status', 'in', ['creating', 'deleting'])
    .execute();
}
