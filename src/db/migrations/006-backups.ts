import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { TS, UUID, autoId, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * `backups` and `backup_metadata`, as Cinder's `Backup` and `BackupMetadata` models: one row per
 * backup of a volume (or of a snapshot of it), with what the backup service needs to find its
 * data again (`service`, `container`, `service_metadata` = the object-name prefix, `object_count`)
 * and the chain of an incremental backup (`parent_id`, `num_dependent_backups`). User metadata
 * (3.43) is a key/value table like the volumes'.
 */
export function backupsMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        create('backups')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('volume_id', UUID, (c) => c.notNull())
          .addColumn('user_id', 'varchar(255)')
          .addColumn('project_id', 'varchar(255)')
          .addColumn('host', 'varchar(255)')
          .addColumn('availability_zone', 'varchar(255)')
          .addColumn('display_name', 'varchar(255)')
          .addColumn('display_description', 'varchar(255)')
          .addColumn('container', 'varchar(255)')
          .addColumn('status', 'varchar(255)', (c) => c.notNull())
          .addColumn('fail_reason', 'varchar(255)')
          .addColumn('service_metadata', 'varchar(255)')
          .addColumn('service', 'varchar(255)')
          .addColumn('size', 'integer')
          .addColumn('object_count', 'integer')
          .addColumn('parent_id', UUID)
          .addColumn('temp_volume_id', UUID)
          .addColumn('temp_snapshot_id', UUID)
          .addColumn('num_dependent_backups', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('snapshot_id', UUID)
          .addColumn('data_timestamp', TS)
          .addColumn('restore_volume_id', UUID)
          .addColumn('encryption_key_id', UUID),
      ).execute();
      await db.schema
        .createIndex('backups_project_idx')
        .on('backups')
        .columns(['project_id', 'deleted'])
        .execute();
      await db.schema
        .createIndex('backups_volume_idx')
        .on('backups')
        .columns(['volume_id', 'deleted'])
        .execute();
      await db.schema.createIndex('backups_host_idx').on('backups').columns(['host', 'status']).execute();
      await softDelete(
        autoId(create('backup_metadata'), dialect)
          .addColumn('backup_id', UUID, (c) => c.notNull())
          .addColumn('key', 'varchar(255)', (c) => c.notNull())
          .addColumn('value', 'varchar(255)', (c) => c.notNull()),
      ).execute();
      await db.schema
        .createIndex('backup_metadata_owner_idx')
        .on('backup_metadata')
        .columns(['backup_id', 'deleted'])
        .execute();
    },
  };
}
