import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/** Each index: name, table, columns. */
const INDEXES: readonly (readonly [string, string, readonly string[]])[] = [
  // A reserve (every create, extend, snapshot, backup…) reads the project's own limits.
  ['quotas_project_idx', 'quotas', ['project_id', 'deleted']],
  ['quota_classes_class_name_idx', 'quota_classes', ['class_name', 'deleted']],
  // The expiry of reservations nobody finished; finished ones stay (soft-deleted) until purged.
  // Cinder's `reservations_deleted_expire_idx`.
  ['reservations_deleted_expire_idx', 'reservations', ['deleted', 'expire']],
  // The periodic removal of expired user messages.
  ['messages_expires_at_idx', 'messages', ['expires_at']],
  // Every volume delete asks whether the volume is an image-volume cache entry.
  ['image_volume_cache_entries_volume_idx', 'image_volume_cache_entries', ['volume_id']],
];

/**
 * Indexes for the lookups of the create and delete paths and of the periodic tasks that read
 * tables growing with use, which scanned the whole table before: the project's quota limits, the
 * reservation expiry, the user-message expiry, the image-cache entry of a deleted volume.
 */
export function lookupIndexesMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      for (const [name, table, columns] of INDEXES)
        await db.schema
          .createIndex(name)
          .on(table)
          .columns([...columns])
          .execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>): Promise<void> {
      for (const [name, table] of INDEXES) {
        // NOTE: only MySQL names the table in DROP INDEX (kysely writes `ON` whenever told one).
        const drop = db.schema.dropIndex(name);
        await (dialect === 'mysql' ? drop.on(table) : drop).execute();
      }
    },
  };
}
