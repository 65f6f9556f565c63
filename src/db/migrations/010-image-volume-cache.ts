import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { TS, UUID, autoId } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * `image_volume_cache_entries`, as Cinder's `ImageVolumeCacheEntry` model: one row per volume of
 * the image-volume cache (a volume of the internal tenant holding an image's data, which later
 * creates of that image on the same backend clone). `host` is the cache volume's `host@backend#pool`
 * (`cluster_name` its cluster's, when clustered); `image_updated_at` the image's `updated_at` when
 * the entry was made (a newer one in Glance makes the entry stale); `size` the volume's GiB;
 * `last_used` the time of the last hit (the LRU order of eviction). Like Cinder's, the table has
 * no soft delete: an evicted entry's row is removed.
 */
export function imageVolumeCacheMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await autoId(create('image_volume_cache_entries'), dialect)
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('cluster_name', 'varchar(255)')
        .addColumn('image_id', UUID, (c) => c.notNull())
        .addColumn('image_updated_at', TS)
        .addColumn('volume_id', UUID, (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('last_used', TS, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('image_volume_cache_entries_host_idx')
        .on('image_volume_cache_entries')
        .column('host')
        .execute();
      await db.schema
        .createIndex('image_volume_cache_entries_image_id_idx')
        .on('image_volume_cache_entries')
        .column('image_id')
        .execute();
    },
  };
}
