import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/** An index: name, table, columns. */
type IndexSpec = readonly [string, string, readonly string[]];

const ADDED: readonly IndexSpec[] = [
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
  // A page of a list, newest first (the default sort, with `id` breaking ties), read in index order
  // and stopped at the page's end instead of sorting every row of the project (or, for an admin's
  // list of all projects, of the table).
  ['volumes_project_created_idx', 'volumes', ['project_id', 'deleted', 'created_at', 'id']],
  ['volumes_created_idx', 'volumes', ['deleted', 'created_at', 'id']],
  // The same list filtered by status (`cinder list --status available`, a wait for `creating` to end).
  ['volumes_project_status_created_idx', 'volumes', ['project_id', 'deleted', 'status', 'created_at', 'id']],
  ['snapshots_project_created_idx', 'snapshots', ['project_id', 'deleted', 'created_at', 'id']],
  ['backups_project_created_idx', 'backups', ['project_id', 'deleted', 'created_at', 'id']],
];

/** Indexes the new ones above begin with, so they serve every lookup these served. */
const REPLACED: readonly IndexSpec[] = [
  ['volumes_project_deleted_idx', 'volumes', ['project_id', 'deleted']],
  ['snapshots_project_idx', 'snapshots', ['project_id', 'deleted']],
  ['backups_project_idx', 'backups', ['project_id', 'deleted']],
];

/**
 * Indexes for lookups that read whole tables growing with use: the project's quota limits of every
 * reserve, the reservation and message expiries, the image-cache entry of a deleted volume, and the
 * first pages of volume, snapshot and backup lists.
 */
export function lookupIndexesMigration(dialect: DialectName): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const create = (db: Kysely<any>, [name, table, columns]: IndexSpec) =>
    db.schema
      .createIndex(name)
      .on(table)
      .columns([...columns])
      .execute();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const drop = (db: Kysely<any>, [name, table]: IndexSpec) => {
    // NOTE: only MySQL names the table in DROP INDEX (kysely writes `ON` whenever told one).
    const q = db.schema.dropIndex(name);
    return (dialect === 'mysql' ? q.on(table) : q).execute();
  };
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      for (const index of ADDED) await create(db, index);
      for (const index of REPLACED) await drop(db, index);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>): Promise<void> {
      for (const index of REPLACED) await create(db, index);
      for (const index of ADDED) await drop(db, index);
    },
  };
}
