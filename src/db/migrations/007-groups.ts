import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { UUID, autoId, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * Generic volume groups, as Cinder's models: `group_types` with their `group_type_specs`, `groups`
 * (placed on one backend: `host`/`cluster_name`) with the volume types they take
 * (`group_volume_type_mapping`), and `group_snapshots`; a snapshot taken as part of a group
 * snapshot records it in `snapshots.group_snapshot_id` (a volume's group is `volumes.group_id`,
 * there from the start).
 */
export function groupsMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        create('group_types')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('description', 'varchar(255)')
          .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1)),
      ).execute();
      await softDelete(
        autoId(create('group_type_specs'), dialect)
          .addColumn('group_type_id', UUID, (c) => c.notNull())
          .addColumn('key', 'varchar(255)', (c) => c.notNull())
          .addColumn('value', 'varchar(255)'),
      ).execute();
      await db.schema
        .createIndex('group_type_specs_type_idx')
        .on('group_type_specs')
        .columns(['group_type_id', 'deleted'])
        .execute();
      await softDelete(
        create('groups')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(255)')
          .addColumn('project_id', 'varchar(255)')
          .addColumn('host', 'varchar(255)')
          .addColumn('cluster_name', 'varchar(255)')
          .addColumn('availability_zone', 'varchar(255)')
          .addColumn('name', 'varchar(255)')
          .addColumn('description', 'varchar(255)')
          .addColumn('group_type_id', UUID, (c) => c.notNull())
          .addColumn('status', 'varchar(255)', (c) => c.notNull())
          .addColumn('group_snapshot_id', UUID)
          .addColumn('source_group_id', UUID)
          .addColumn('replication_status', 'varchar(255)'),
      ).execute();
      await db.schema
        .createIndex('groups_project_idx')
        .on('groups')
        .columns(['project_id', 'deleted'])
        .execute();
      await softDelete(
        autoId(create('group_volume_type_mapping'), dialect)
          .addColumn('volume_type_id', UUID, (c) => c.notNull())
          .addColumn('group_id', UUID, (c) => c.notNull()),
      ).execute();
      await db.schema
        .createIndex('group_volume_type_mapping_group_idx')
        .on('group_volume_type_mapping')
        .columns(['group_id', 'deleted'])
        .execute();
      await softDelete(
        create('group_snapshots')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('group_id', UUID, (c) => c.notNull())
          .addColumn('user_id', 'varchar(255)')
          .addColumn('project_id', 'varchar(255)')
          .addColumn('name', 'varchar(255)')
          .addColumn('description', 'varchar(255)')
          .addColumn('status', 'varchar(255)', (c) => c.notNull())
          .addColumn('group_type_id', UUID),
      ).execute();
      await db.schema
        .createIndex('group_snapshots_group_idx')
        .on('group_snapshots')
        .columns(['group_id', 'deleted'])
        .execute();
      await db.schema.alterTable('snapshots').addColumn('group_snapshot_id', UUID).execute();
      await db.schema
        .createIndex('snapshots_group_snapshot_idx')
        .on('snapshots')
        .columns(['group_snapshot_id'])
        .execute();
      await db.schema.createIndex('volumes_group_idx').on('volumes').columns(['group_id']).execute();
    },
  };
}
