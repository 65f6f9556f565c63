import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { UUID, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * What completes volume types:
 * - `quality_of_service_specs`, Cinder's adjacency list: a root row per QoS spec (`specs_id` null,
 *   `key = 'QoS_Specs_Name'`, `value` = the name) and one child row per spec key (`specs_id` = the
 *   root's id), `consumer` among them. `volume_types.qos_specs_id` (already there) points at a root.
 * - `encryption`, Cinder's model: at most one live row per volume type.
 * - One live `volume_type_projects` row per (type, project): a unique index on
 *   (volume_type_id, project_id, deleted). A removed access row gets `deleted = id` (oslo.db's
 *   `soft_delete`), so a project can lose and regain access any number of times.
 */
export function typesQosEncryptionMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        create('quality_of_service_specs')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('specs_id', UUID)
          .addColumn('key', 'varchar(255)')
          .addColumn('value', 'varchar(255)'),
      ).execute();
      await db.schema
        .createIndex('qos_specs_specs_id_idx')
        .on('quality_of_service_specs')
        .columns(['specs_id'])
        .execute();

      await softDelete(
        create('encryption')
          .addColumn('encryption_id', UUID, (c) => c.primaryKey())
          .addColumn('cipher', 'varchar(255)')
          .addColumn('key_size', 'integer')
          .addColumn('provider', 'varchar(255)')
          .addColumn('control_location', 'varchar(255)')
          .addColumn('volume_type_id', UUID, (c) => c.notNull()),
      ).execute();
      await db.schema
        .createIndex('encryption_volume_type_idx')
        .on('encryption')
        .columns(['volume_type_id', 'deleted'])
        .execute();

      await db
        .updateTable('volume_type_projects')
        .set({ deleted: sql`id` })
        .where('deleted', '<>', 0)
        .execute();
      await db.schema
        .createIndex('volume_type_projects_live_key')
        .unique()
        .on('volume_type_projects')
        .columns(['volume_type_id', 'project_id', 'deleted'])
        .execute();
    },
  };
}
