import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { UUID, autoId, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * Snapshot metadata (Cinder's `snapshot_metadata`: user key/value pairs of a snapshot), and the
 * indexes the snapshot queries use: a volume's live snapshots (delete checks, cascade) and a
 * project's list.
 */
export function snapshotMetadataMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        autoId(create('snapshot_metadata'), dialect)
          .addColumn('snapshot_id', UUID, (c) => c.notNull())
          .addColumn('key', 'varchar(255)', (c) => c.notNull())
          .addColumn('value', 'varchar(255)', (c) => c.notNull()),
      ).execute();
      await db.schema
        .createIndex('snapshot_metadata_owner_idx')
        .on('snapshot_metadata')
        .columns(['snapshot_id', 'deleted'])
        .execute();
      await db.schema
        .createIndex('snapshots_volume_idx')
        .on('snapshots')
        .columns(['volume_id', 'deleted'])
        .execute();
      await db.schema
        .createIndex('snapshots_project_idx')
        .on('snapshots')
        .columns(['project_id', 'deleted'])
        .execute();
    },
  };
}
