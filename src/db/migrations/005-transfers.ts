import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { TS, UUID, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * `transfers`, as Cinder's `Transfer` model: one row per offer of a volume to another project.
 * The auth key itself is never stored, only `salt` and `crypt_hash` (HMAC-SHA1 of the key keyed
 * by the salt). An accepted or deleted transfer is soft-deleted; an accepted one also records
 * `destination_project_id` and `accepted = 1`.
 */
export function transfersMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        create('transfers')
          .addColumn('id', UUID, (c) => c.primaryKey())
          .addColumn('volume_id', UUID, (c) => c.notNull())
          .addColumn('display_name', 'varchar(255)')
          .addColumn('salt', 'varchar(255)')
          .addColumn('crypt_hash', 'varchar(255)')
          .addColumn('expires_at', TS)
          .addColumn('no_snapshots', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('source_project_id', 'varchar(255)')
          .addColumn('destination_project_id', 'varchar(255)')
          .addColumn('accepted', 'integer', (c) => c.notNull().defaultTo(0)),
      ).execute();
      await db.schema.createIndex('transfers_volume_id_idx').on('transfers').columns(['volume_id']).execute();
    },
  };
}
