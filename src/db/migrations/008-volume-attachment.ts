import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { TS, UUID, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * `volume_attachment`, as Cinder's `VolumeAttachment` model: one row per attachment of a volume
 * (to an instance, or to a host when `instance_uuid` is null). `attach_status` runs `reserved` →
 * `attaching` → `attached` (or `error_attaching`), then `detaching`/`detached`; a deleted
 * attachment is soft-deleted with `attach_status = 'detached'`. `connection_info` and `connector`
 * hold JSON (what the driver answered, what the consumer sent).
 */
export function volumeAttachmentMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        create('volume_attachment')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('volume_id', UUID, (c) => c.notNull())
          .addColumn('instance_uuid', UUID)
          .addColumn('attached_host', 'varchar(255)')
          .addColumn('mountpoint', 'varchar(255)')
          .addColumn('attach_time', TS)
          .addColumn('detach_time', TS)
          .addColumn('attach_status', 'varchar(255)')
          .addColumn('attach_mode', 'varchar(36)')
          .addColumn('connection_info', 'text')
          .addColumn('connector', 'text'),
      ).execute();
      await db.schema
        .createIndex('volume_attachment_volume_idx')
        .on('volume_attachment')
        .columns(['volume_id', 'deleted'])
        .execute();
    },
  };
}
