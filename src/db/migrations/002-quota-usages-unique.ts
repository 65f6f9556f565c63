import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { isoNow } from '../../common/time.js';

/**
 * One live usage row per (project, resource): a unique index on (project_id, resource, deleted).
 *
 * NOTE: soft delete and unique indexes: `deleted` is 0 on live rows, and a usage row that is ever
 * soft-deleted gets `deleted = id` (oslo.db's own `soft_delete` convention), so any number of
 * deleted rows can share a key while two live ones cannot. With the index, concurrent reserves that
 * both find a usage row missing can both `INSERT … ON CONFLICT DO NOTHING` (`INSERT IGNORE` on
 * MySQL) and then lock the one row that exists — no duplicate rows (Cinder's bug #1484343), no
 * table lock.
 *
 * Before the index is built, live duplicates left by earlier versions are folded into the oldest
 * row of their key (their counts added to it, their reservations moved to it), as Cinder's
 * `quota sync` does, so the index can be created.
 */
export function quotaUsagesUniqueMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const dups = await db
        .selectFrom('quota_usages')
        .select(['project_id', 'resource'])
        .where('deleted', '=', 0)
        .groupBy(['project_id', 'resource'])
        .having((eb) => eb.fn.countAll(), '>', 1)
        .execute();
      for (const d of dups as { project_id: string; resource: string }[]) {
        const rows = (await db
          .selectFrom('quota_usages')
          .select(['id', 'in_use', 'reserved'])
          .where('project_id', '=', d.project_id)
          .where('resource', '=', d.resource)
          .where('deleted', '=', 0)
          .orderBy('id')
          .execute()) as { id: number; in_use: number; reserved: number }[];
        const [keep, ...rest] = rows;
        if (!keep) continue;
        for (const r of rest) {
          await db
            .updateTable('reservations')
            .set({ usage_id: keep.id })
            .where('usage_id', '=', r.id)
            .execute();
          await db
            .updateTable('quota_usages')
            .set({ deleted: sql`id`, deleted_at: isoNow() })
            .where('id', '=', r.id)
            .execute();
        }
        await db
          .updateTable('quota_usages')
          .set({
            in_use: rest.reduce((n, r) => n + Number(r.in_use), Number(keep.in_use)),
            reserved: rest.reduce((n, r) => n + Number(r.reserved), Number(keep.reserved)),
          })
          .where('id', '=', keep.id)
          .execute();
      }
      const drop = db.schema.dropIndex('quota_usages_project_idx');
      // NOTE: MySQL names the table in DROP INDEX; PostgreSQL and SQLite reject it.
      await (dialect === 'mysql' ? drop.on('quota_usages') : drop).execute();
      await db.schema
        .createIndex('quota_usages_live_key')
        .unique()
        .on('quota_usages')
        .columns(['project_id', 'resource', 'deleted'])
        .execute();
    },
  };
}
