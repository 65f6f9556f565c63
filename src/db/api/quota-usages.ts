import type { DatabaseHandle } from '../connection.js';
import type { Db } from './common.js';
import { sqliteWriteLock, withDeadlockRetry } from '../retry.js';
import { isoNow } from '../time.js';

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

/** Projects with live quota usage rows (all, or just `projectId` when it has some), sorted. */
export async function quotaUsageProjects(db: Db, projectId?: string | null): Promise<string[]> {
  let q = db.selectFrom('quota_usages').select('project_id').distinct().where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  return (await q.orderBy('project_id').execute()).map((r) => r.project_id);
}

/** Count and GiB of a project's live, quota-counted volumes (of one type when `typeId` is given). */
async function volumeData(db: Db, projectId: string, typeId?: string): Promise<[number, number]> {
  let q = db
    .selectFrom('volumes')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('gb')])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .where('use_quota', '=', 1);
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

/**
 * What `resource`'s `in_use` should be for a project, recounted from the volumes and snapshots
 * tables as Cinder's quota sync functions count it (gigabytes include snapshots' GiB); undefined
 * for a resource Kindling does not know (e.g. a per-type key of a type since deleted).
 * Backups and groups do not exist in Kindling, so they count 0.
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
    case 'backup_gigabytes':
    case 'groups':
      return 0;
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
 * before reservations, the order the quota engine takes them in, so a check running beside live
 * services does not deadlock with them.
 */
export async function quotaUsageCheckProject(
  h: DatabaseHandle,
  projectId: string,
  fix: boolean,
): Promise<QuotaCheckResult> {
  return withDeadlockRetry(() =>
    h.db.transaction().execute(async (trx) => {
      await sqliteWriteLock(trx, h.dialect);
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
