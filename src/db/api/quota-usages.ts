import { sql } from 'kysely';
import type { DatabaseHandle } from '../connection.js';
import type { Db } from './common.js';
import { lockedUnlessSqlite, sqliteWriteLock, withDeadlockRetry } from '../retry.js';
import { isoNow } from '../../common/time.js';
import { PENDING_QUOTA_KEY } from './volume-quota-note.js';
import { preparedQueries, preparedQuery } from '../prepared-query.js';
import type { DialectName } from '../dialect-name.js';

/** One usage number that does not match what the tables say (`cinder-manage quota check`). */
export interface QuotaDiscrepancy {
  resource: string;
  field: 'in_use' | 'reserved';
  saved: number;
  actual: number;
}

/** What a per-project check found; `unknown` lists usage rows of resources no longer defined. */
export interface QuotaCheckResult {
  projectId: string;
  discrepancies: QuotaDiscrepancy[];
  unknown: string[];
}

/** A project's live usage rows, every resource it has one for. */
export function quotaUsagesOfProject(
  db: Db,
  projectId: string,
): Promise<{ resource: string; in_use: number; reserved: number }[]> {
  return db
    .selectFrom('quota_usages')
    .select(['resource', 'in_use', 'reserved'])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .execute();
}

/**
 * A project's live usage rows of `resources`, in id order, locked until the transaction ends
 * (`SELECT … FOR UPDATE`; SQLite holds the database write lock instead).
 */
export function quotaUsagesLock(
  trx: Db,
  h: Pick<DatabaseHandle, 'dialect'>,
  projectId: string,
  resources: readonly string[],
): Promise<{ id: number; resource: string; in_use: number; reserved: number }[]> {
  return usagesOfProjectLocked(h.dialect)(trx, { projectId, resources }).then((r) => r.rows);
}

const usagesOfProjectLocked = preparedQueries(
  (dialect: DialectName) => (db: Db, v: { projectId: string; resources: readonly string[] }) => {
    const q = db
      .selectFrom('quota_usages')
      .select(['id', 'resource', 'in_use', 'reserved'])
      .where('project_id', '=', v.projectId)
      .where('resource', 'in', v.resources)
      .where('deleted', '=', 0)
      .orderBy('id');
    return lockedUnlessSqlite(dialect, q);
  },
);

/** The usage rows of `ids`, in id order, locked until the transaction ends (not on SQLite). */
export function quotaUsagesLockByIds(
  trx: Db,
  h: Pick<DatabaseHandle, 'dialect'>,
  ids: readonly number[],
): Promise<{ id: number; in_use: number; reserved: number }[]> {
  return usagesLocked(h.dialect)(trx, { ids }).then((r) => r.rows);
}

const usagesLocked = preparedQueries((dialect: DialectName) => (db: Db, v: { ids: readonly number[] }) => {
  const q = db
    .selectFrom('quota_usages')
    .select(['id', 'in_use', 'reserved'])
    .where('id', 'in', v.ids)
    .orderBy('id');
  return lockedUnlessSqlite(dialect, q);
});

/**
 * Creates zeroed live usage rows of `resources` for a project in one statement; a row that exists
 * already (the unique index on (project_id, resource, deleted)) is left as it is: `ON CONFLICT DO
 * NOTHING`, MySQL `INSERT IGNORE`.
 */
export async function quotaUsagesCreate(
  db: Db,
  h: Pick<DatabaseHandle, 'dialect'>,
  projectId: string,
  resources: readonly string[],
  now: string,
): Promise<void> {
  const values = resources.map((resource) => ({
    project_id: projectId,
    resource,
    in_use: 0,
    reserved: 0,
    until_refresh: null,
    created_at: now,
    deleted: 0 as const,
  }));
  const insert = db.insertInto('quota_usages').values(values);
  await (h.dialect === 'mysql' ? insert.ignore() : insert.onConflict((oc) => oc.doNothing())).execute();
}

/**
 * Sets new `reserved`/`in_use` values on several usage rows in one statement
 * (`SET col = CASE id WHEN … END`), so a reservation costs one write, not one per resource.
 */
export async function quotaUsagesUpdate(
  db: Db,
  values: ReadonlyMap<number, { reserved?: number; in_use?: number }>,
  now: string,
): Promise<void> {
  if (values.size === 0) return;
  const v: UsageUpdate = {
    ids: [...values.keys()],
    reservedIds: [],
    reserved: [],
    inUseIds: [],
    inUse: [],
    now,
  };
  for (const [id, u] of values) {
    if (u.reserved !== undefined) {
      v.reservedIds.push(id);
      v.reserved.push(u.reserved);
    }
    if (u.in_use !== undefined) {
      v.inUseIds.push(id);
      v.inUse.push(u.in_use);
    }
  }
  await updateUsages(db, v);
}

/** The rows to update, and per column the rows given a new value (in `*Ids`) and those values. */
interface UsageUpdate {
  ids: number[];
  reservedIds: number[];
  reserved: number[];
  inUseIds: number[];
  inUse: number[];
  now: string;
}

const updateUsages = preparedQuery((db, v: UsageUpdate) => {
  const column = (name: 'reserved' | 'in_use', ids: number[], news: number[]) => {
    const whens = ids.map((id, i) => sql`WHEN ${id} THEN ${news[i]}`);
    return whens.length
      ? sql<number>`CASE id ${sql.join(whens, sql` `)} ELSE ${sql.ref(name)} END`
      : sql<number>`${sql.ref(name)}`;
  };
  return db
    .updateTable('quota_usages')
    .set({
      reserved: column('reserved', v.reservedIds, v.reserved),
      in_use: column('in_use', v.inUseIds, v.inUse),
      updated_at: v.now,
    })
    .where('id', 'in', v.ids);
});

/** Projects with live quota usage rows (all, or just `projectId` when it has some), sorted. */
export async function quotaUsageProjects(db: Db, projectId?: string | null): Promise<string[]> {
  let q = db.selectFrom('quota_usages').select('project_id').distinct().where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  return (await q.orderBy('project_id').execute()).map((r) => r.project_id);
}

/**
 * Count and GiB of a project's live, quota-counted volumes (of one type when `typeId` is given).
 * A volume whose quota is still pending (its api flow has not committed it: the note of
 * volume-quota-note.ts) is in `reserved`, not yet in `in_use`, so it is left out.
 */
async function volumeData(db: Db, projectId: string, typeId?: string): Promise<[number, number]> {
  let q = db
    .selectFrom('volumes')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('gb')])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .where('use_quota', '=', 1)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('volume_admin_metadata')
            .select('volume_admin_metadata.id')
            .whereRef('volume_admin_metadata.volume_id', '=', 'volumes.id')
            .where('volume_admin_metadata.key', '=', PENDING_QUOTA_KEY)
            .where('volume_admin_metadata.deleted', '=', 0),
        ),
      ),
    );
  if (typeId !== undefined) q = q.where('volume_type_id', '=', typeId);
  const r = await q.executeTakeFirst();
  return [Number(r?.n ?? 0), Number(r?.gb ?? 0)];
}

/** Count and GiB of a project's live snapshots (of volumes of one type when `typeId` is given). */
async function snapshotData(db: Db, projectId: string, typeId?: string): Promise<[number, number]> {
  let q = db
    .selectFrom('snapshots')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('snapshots.volume_size').as('gb')])
    .where('snapshots.project_id', '=', projectId)
    .where('snapshots.deleted', '=', 0)
    .where('snapshots.use_quota', '=', 1);
  if (typeId !== undefined)
    q = q.where((eb) =>
      eb(
        'snapshots.volume_id',
        'in',
        eb.selectFrom('volumes').select('volumes.id').where('volumes.volume_type_id', '=', typeId),
      ),
    );
  const r = await q.executeTakeFirst();
  return [Number(r?.n ?? 0), Number(r?.gb ?? 0)];
}

/** Count and GiB of a project's live backups, whatever their status (Cinder's `_backup_data_get_for_project`). */
async function backupData(db: Db, projectId: string): Promise<[number, number]> {
  const r = await db
    .selectFrom('backups')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('gb')])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return [Number(r?.n ?? 0), Number(r?.gb ?? 0)];
}

/** Number of a project's live groups (Cinder's `_group_data_get_for_project`). */
async function groupCount(db: Db, projectId: string): Promise<number> {
  const r = await db
    .selectFrom('groups')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * What `resource`'s `in_use` should be for a project, recounted from the tables as Cinder's quota
 * sync functions (`QUOTA_SYNC_FUNCTIONS`) count it: volumes, snapshots (gigabytes include their
 * GiB), their per-type keys, backups and their GiB (any status), groups. Undefined for a resource
 * Kindling does not know (e.g. a per-type key of a type since deleted).
 */
export async function quotaUsageActual(
  db: Db,
  projectId: string,
  resource: string,
  typeIdsByName: ReadonlyMap<string, string>,
): Promise<number | undefined> {
  switch (resource) {
    case 'volumes':
      return (await volumeData(db, projectId))[0];
    case 'gigabytes':
      return (await volumeData(db, projectId))[1] + (await snapshotData(db, projectId))[1];
    case 'snapshots':
      return (await snapshotData(db, projectId))[0];
    case 'backups':
      return (await backupData(db, projectId))[0];
    case 'backup_gigabytes':
      return (await backupData(db, projectId))[1];
    case 'groups':
      return groupCount(db, projectId);
  }
  const m = /^(volumes|gigabytes|snapshots)_(.+)$/s.exec(resource);
  const typeId = m ? typeIdsByName.get(m[2]!) : undefined;
  if (!m || typeId === undefined) return undefined;
  if (m[1] === 'volumes') return (await volumeData(db, projectId, typeId))[0];
  if (m[1] === 'snapshots') return (await snapshotData(db, projectId, typeId))[0];
  return (await volumeData(db, projectId, typeId))[1] + (await snapshotData(db, projectId, typeId))[1];
}

/**
 * Checks (and with `fix`, corrects) one project's usage rows in one transaction: `in_use` against
 * the recount, `reserved` against the sum of its live positive reservations. Usage rows are locked
 * before reservations, the order a reserve takes them in (it inserts its reservations under the
 * usage lock); a commit or rollback takes them the other way round (reservations first, to hold
 * the usage rows briefly), so a check racing one of those may deadlock: the database then fails
 * one of the two and it is run again (withDeadlockRetry, which both use).
 */
export async function quotaUsageCheckProject(
  h: DatabaseHandle,
  projectId: string,
  fix: boolean,
): Promise<QuotaCheckResult> {
  return withDeadlockRetry(() =>
    h.db.transaction().execute(async (trx) => {
      await sqliteWriteLock(trx, h);
      const locking = h.dialect !== 'sqlite';
      const types = await trx
        .selectFrom('volume_types')
        .select(['id', 'name'])
        .where('deleted', '=', 0)
        .execute();
      const typeIds = new Map(types.map((t) => [t.name, t.id]));
      let uq = trx
        .selectFrom('quota_usages')
        .select(['id', 'resource', 'in_use', 'reserved'])
        .where('project_id', '=', projectId)
        .where('deleted', '=', 0)
        .orderBy('id');
      if (locking) uq = uq.forUpdate();
      const usages = await uq.execute();
      let rq = trx
        .selectFrom('reservations')
        .select(['usage_id', 'delta'])
        .where('project_id', '=', projectId)
        .where('deleted', '=', 0)
        .orderBy('id');
      if (locking) rq = rq.forUpdate();
      const reservedBy = new Map<number, number>();
      for (const r of await rq.execute())
        if (r.delta > 0) reservedBy.set(r.usage_id, (reservedBy.get(r.usage_id) ?? 0) + r.delta);

      const result: QuotaCheckResult = { projectId, discrepancies: [], unknown: [] };
      const now = isoNow();
      for (const u of usages) {
        const actual = await quotaUsageActual(trx, projectId, u.resource, typeIds);
        const patch: { in_use?: number; reserved?: number } = {};
        if (actual === undefined) result.unknown.push(u.resource);
        else if (actual !== u.in_use) {
          result.discrepancies.push({ resource: u.resource, field: 'in_use', saved: u.in_use, actual });
          patch.in_use = actual;
        }
        const reserved = reservedBy.get(u.id) ?? 0;
        if (reserved !== u.reserved) {
          result.discrepancies.push({
            resource: u.resource,
            field: 'reserved',
            saved: u.reserved,
            actual: reserved,
          });
          patch.reserved = reserved;
        }
        if (fix && Object.keys(patch).length)
          await trx
            .updateTable('quota_usages')
            .set({ ...patch, updated_at: now })
            .where('id', '=', u.id)
            .execute();
      }
      return result;
    }),
  );
}
