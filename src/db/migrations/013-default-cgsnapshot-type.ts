import { randomUUID } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';
import { isoNow } from '../../common/time.js';

/** Cinder's `group_types.DEFAULT_CGSNAPSHOT_TYPE`. */
export const DEFAULT_CGSNAPSHOT_TYPE = 'default_cgsnapshot_type';

/**
 * Seeds the group type of legacy consistency groups, as Cinder's first migration does: a public
 * `default_cgsnapshot_type` with `consistent_group_snapshot_enabled = <is> True`. The
 * `/consistencygroups` API makes its groups of this type; `/groups` refuses to touch them.
 */
export function defaultCgsnapshotTypeMigration(): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const existing = await db
        .selectFrom('group_types')
        .select('id')
        .where('name', '=', DEFAULT_CGSNAPSHOT_TYPE)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (existing) return;
      const id = randomUUID();
      const now = isoNow();
      await db
        .insertInto('group_types')
        .values({
          id,
          name: DEFAULT_CGSNAPSHOT_TYPE,
          description: 'Default group type for migrating cgsnapshot',
          is_public: 1,
          created_at: now,
          deleted: 0,
        })
        .execute();
      await db
        .insertInto('group_type_specs')
        .values({
          group_type_id: id,
          key: 'consistent_group_snapshot_enabled',
          value: '<is> True',
          created_at: now,
          deleted: 0,
        })
        .execute();
    },
  };
}
