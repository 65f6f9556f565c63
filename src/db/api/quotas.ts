/**
 * Quota limits: class limits (`quota_classes`, Cinder's `quota_class_*`) and project limits
 * (`quotas`, Cinder's `quota_*`). The engine that combines them with config defaults and usages is
 * src/quota/quota-engine.ts.
 */
import type { Db } from './common.js';
import { preparedQuery } from '../prepared-query.js';

/**
 * The live limits of class `default` (of just `resources` when given), Cinder's
 * `quota_class_get_defaults`.
 */
export function quotaClassDefaultLimits(
  db: Db,
  resources?: readonly string[],
): Promise<{ resource: string; hard_limit: number }[]> {
  return defaultLimitsOf(db, { resources }).then((r) => r.rows);
}

const defaultLimitsOf = preparedQuery((db, v: { resources: readonly string[] | undefined }) => {
  let q = db
    .selectFrom('quota_classes')
    .select(['resource', 'hard_limit'])
    .where('class_name', '=', 'default');
  if (v.resources) q = q.where('resource', 'in', v.resources);
  return q.where('deleted', '=', 0);
});

/** The live limit rows of class `className` and of class `default`, in id order. */
export function quotaClassLimitsWithDefault(
  db: Db,
  className: string,
): Promise<{ class_name: string; resource: string; hard_limit: number }[]> {
  return db
    .selectFrom('quota_classes')
    .select(['class_name', 'resource', 'hard_limit'])
    .where('class_name', 'in', [className, 'default'])
    .where('deleted', '=', 0)
    .orderBy('id')
    .execute();
}

/** Sets one limit of a quota class: updates its live row, or inserts one when it has none. */
export async function quotaClassLimitSet(
  db: Db,
  className: string,
  resource: string,
  hard_limit: number,
  now: string,
): Promise<void> {
  const res = await db
    .updateTable('quota_classes')
    .set({ hard_limit, updated_at: now })
    .where('class_name', '=', className)
    .where('resource', '=', resource)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0)
    await db
      .insertInto('quota_classes')
      .values({ class_name: className, resource, hard_limit, created_at: now, deleted: 0 })
      .execute();
}

/** A project's own live limits, every resource it has a row for, with their `allocated`. */
export function quotaProjectLimitRows(
  db: Db,
  projectId: string,
): Promise<{ resource: string; hard_limit: number; allocated: number }[]> {
  return db
    .selectFrom('quotas')
    .select(['resource', 'hard_limit', 'allocated'])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .execute();
}

/** A project's own live limits of just `resources`. */
export function quotaProjectLimitsOf(
  db: Db,
  projectId: string,
  resources: readonly string[],
): Promise<{ resource: string; hard_limit: number }[]> {
  return projectLimitsOf(db, { projectId, resources }).then((r) => r.rows);
}

const projectLimitsOf = preparedQuery((db, v: { projectId: string; resources: readonly string[] }) =>
  db
    .selectFrom('quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', v.projectId)
    .where('resource', 'in', v.resources)
    .where('deleted', '=', 0),
);

/** Sets one limit of a project: updates its live row, or inserts one (allocated 0) when it has none. */
export async function quotaProjectLimitSet(
  db: Db,
  projectId: string,
  resource: string,
  hard_limit: number,
  now: string,
): Promise<void> {
  const res = await db
    .updateTable('quotas')
    .set({ hard_limit, updated_at: now })
    .where('project_id', '=', projectId)
    .where('resource', '=', resource)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0)
    await db
      .insertInto('quotas')
      .values({
        project_id: projectId,
        resource,
        hard_limit,
        allocated: 0,
        created_at: now,
        deleted: 0,
      })
      .execute();
}

/** Soft-deletes every live limit row of a project, so the defaults apply again. */
export async function quotaProjectLimitsDestroy(db: Db, projectId: string, now: string): Promise<void> {
  await db
    .updateTable('quotas')
    .set({ deleted: 1, deleted_at: now, updated_at: now })
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .execute();
}
