import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { UUID, autoId, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';
import { isoNow } from '../../common/time.js';

/** Values seeded at first sync, as Cinder's initial migration seeds them from its config. */
export interface SeedValues {
  defaultVolumeTypeId: string;
  quotaClassDefaults: Record<string, number>;
}

/**
 * The tables the create-volume spine needs. Same migration on every dialect.
 * Seeds the `__DEFAULT__` volume type and the `default` quota class, as Cinder does.
 */
export function initialMigration(dialect: DialectName, seed: SeedValues): Migration {
  return {
    // NOTE: migrations see the schema as it is at their time, not today's `Database` type.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        create('volumes')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(255)')
          .addColumn('project_id', 'varchar(255)')
          .addColumn('host', 'varchar(255)')
          .addColumn('cluster_name', 'varchar(255)')
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('availability_zone', 'varchar(255)')
          .addColumn('status', 'varchar(255)', (c) => c.notNull())
          .addColumn('attach_status', 'varchar(255)', (c) => c.notNull())
          .addColumn('migration_status', 'varchar(255)')
          .addColumn('previous_status', 'varchar(255)')
          .addColumn('scheduled_at', 'varchar(32)')
          .addColumn('launched_at', 'varchar(32)')
          .addColumn('terminated_at', 'varchar(32)')
          .addColumn('display_name', 'varchar(255)')
          .addColumn('display_description', 'varchar(255)')
          .addColumn('provider_location', 'varchar(255)')
          .addColumn('provider_auth', 'varchar(255)')
          .addColumn('provider_id', 'varchar(255)')
          .addColumn('snapshot_id', UUID)
          .addColumn('source_volid', UUID)
          .addColumn('backup_id', UUID)
          .addColumn('volume_type_id', UUID, (c) => c.notNull())
          .addColumn('encryption_key_id', UUID)
          .addColumn('consistencygroup_id', UUID)
          .addColumn('group_id', UUID)
          .addColumn('bootable', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('multiattach', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('replication_status', 'varchar(255)')
          .addColumn('service_uuid', UUID)
          .addColumn('shared_targets', 'integer')
          .addColumn('use_quota', 'integer', (c) => c.notNull().defaultTo(1)),
      ).execute();
      await db.schema
        .createIndex('volumes_project_deleted_idx')
        .on('volumes')
        .columns(['project_id', 'deleted'])
        .execute();
      await db.schema.createIndex('volumes_host_idx').on('volumes').columns(['host', 'deleted']).execute();

      for (const [table, owner] of [
        ['volume_metadata', 'volume_id'],
        ['volume_admin_metadata', 'volume_id'],
        ['volume_type_extra_specs', 'volume_type_id'],
      ] as const) {
        await softDelete(
          autoId(create(table), dialect)
            .addColumn(owner, UUID, (c) => c.notNull())
            .addColumn('key', 'varchar(255)', (c) => c.notNull())
            .addColumn('value', 'varchar(255)', (c) => c.notNull()),
        ).execute();
        await db.schema.createIndex(`${table}_owner_idx`).on(table).columns([owner, 'deleted']).execute();
      }

      await softDelete(
        create('volume_types')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('description', 'varchar(255)')
          .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('qos_specs_id', UUID),
      ).execute();

      await softDelete(
        autoId(create('volume_type_projects'), dialect)
          .addColumn('volume_type_id', UUID, (c) => c.notNull())
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull()),
      ).execute();

      await create('default_volume_types')
        .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('volume_type_id', UUID, (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)')
        .execute();

      await softDelete(
        create('snapshots')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('volume_id', UUID, (c) => c.notNull())
          .addColumn('user_id', 'varchar(255)')
          .addColumn('project_id', 'varchar(255)')
          .addColumn('status', 'varchar(255)', (c) => c.notNull())
          .addColumn('progress', 'varchar(255)')
          .addColumn('volume_size', 'integer', (c) => c.notNull())
          .addColumn('display_name', 'varchar(255)')
          .addColumn('display_description', 'varchar(255)')
          .addColumn('volume_type_id', UUID)
          .addColumn('provider_location', 'varchar(255)')
          .addColumn('use_quota', 'integer', (c) => c.notNull().defaultTo(1)),
      ).execute();

      await softDelete(
        autoId(create('quotas'), dialect)
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('resource', 'varchar(300)', (c) => c.notNull())
          .addColumn('hard_limit', 'integer', (c) => c.notNull())
          .addColumn('allocated', 'integer', (c) => c.notNull().defaultTo(0)),
      ).execute();
      await softDelete(
        autoId(create('quota_classes'), dialect)
          .addColumn('class_name', 'varchar(255)', (c) => c.notNull())
          .addColumn('resource', 'varchar(300)', (c) => c.notNull())
          .addColumn('hard_limit', 'integer', (c) => c.notNull()),
      ).execute();
      await softDelete(
        autoId(create('quota_usages'), dialect)
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('resource', 'varchar(300)', (c) => c.notNull())
          .addColumn('in_use', 'integer', (c) => c.notNull())
          .addColumn('reserved', 'integer', (c) => c.notNull())
          .addColumn('until_refresh', 'integer'),
      ).execute();
      await db.schema
        .createIndex('quota_usages_project_idx')
        .on('quota_usages')
        .columns(['project_id', 'resource', 'deleted'])
        .execute();
      await softDelete(
        autoId(create('reservations'), dialect)
          .addColumn('uuid', UUID, (c) => c.notNull())
          .addColumn('usage_id', 'integer', (c) => c.notNull())
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('resource', 'varchar(300)', (c) => c.notNull())
          .addColumn('delta', 'integer', (c) => c.notNull())
          .addColumn('expire', 'varchar(32)', (c) => c.notNull()),
      ).execute();
      await db.schema
        .createIndex('reservations_uuid_idx')
        .on('reservations')
        .columns(['uuid', 'deleted'])
        .execute();

      await softDelete(
        autoId(create('services'), dialect)
          .addColumn('uuid', UUID, (c) => c.notNull())
          .addColumn('host', 'varchar(255)', (c) => c.notNull())
          .addColumn('binary', 'varchar(255)', (c) => c.notNull())
          .addColumn('topic', 'varchar(255)', (c) => c.notNull())
          .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('disabled_reason', 'varchar(255)')
          .addColumn('availability_zone', 'varchar(255)', (c) => c.notNull())
          .addColumn('cluster_name', 'varchar(255)')
          .addColumn('frozen', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('replication_status', 'varchar(36)')
          .addColumn('active_backend_id', 'varchar(255)')
          .addColumn('modified_at', 'varchar(32)')
          .addColumn('heartbeat_at', 'varchar(32)'),
      ).execute();

      await softDelete(
        autoId(create('workers'), dialect)
          .addColumn('resource_type', 'varchar(40)', (c) => c.notNull())
          .addColumn('resource_id', UUID, (c) => c.notNull())
          .addColumn('status', 'varchar(255)', (c) => c.notNull())
          .addColumn('service_id', 'integer')
          .addColumn('cleaning', 'integer', (c) => c.notNull().defaultTo(0)),
      ).execute();
      await db.schema
        .createIndex('workers_resource_idx')
        .on('workers')
        .columns(['resource_type', 'resource_id'])
        .execute();

      await softDelete(
        create('messages')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('request_id', 'varchar(255)')
          .addColumn('resource_type', 'varchar(36)')
          .addColumn('resource_uuid', 'varchar(255)')
          .addColumn('event_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('message_level', 'varchar(255)', (c) => c.notNull())
          .addColumn('expires_at', 'varchar(32)'),
      ).execute();

      const now = isoNow();
      await db
        .insertInto('volume_types')
        .values({
          id: seed.defaultVolumeTypeId,
          name: '__DEFAULT__',
          description: 'Default Volume Type',
          is_public: 1,
          created_at: now,
          deleted: 0,
        })
        .execute();
      const classRows = Object.entries(seed.quotaClassDefaults).map(([resource, hard_limit]) => ({
        class_name: 'default',
        resource,
        hard_limit,
        created_at: now,
        deleted: 0,
      }));
      if (classRows.length > 0) await db.insertInto('quota_classes').values(classRows).execute();
    },
  };
}
