import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { UUID, autoId, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * `volume_glance_metadata`, as Cinder's `VolumeGlanceMetadata` model: the image properties a
 * volume carries (what it was created from, or what `os-set_image_metadata` set). A row belongs
 * to a volume (`volume_id`) or to a snapshot (`snapshot_id`, the copy taken when a bootable
 * volume is snapshotted); `value` is text, as in Cinder, since image properties may be long.
 */
export function volumeGlanceMetadataMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        autoId(create('volume_glance_metadata'), dialect)
          .addColumn('volume_id', UUID)
          .addColumn('snapshot_id', UUID)
          .addColumn('key', 'varchar(255)', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull()),
      ).execute();
      await db.schema
        .createIndex('volume_glance_metadata_volume_idx')
        .on('volume_glance_metadata')
        .columns(['volume_id', 'deleted'])
        .execute();
      await db.schema
        .createIndex('volume_glance_metadata_snapshot_idx')
        .on('volume_glance_metadata')
        .columns(['snapshot_id', 'deleted'])
        .execute();
    },
  };
}
