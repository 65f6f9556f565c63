import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { autoId, softDelete } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * `clusters`, as Cinder's `Cluster` model: one row per (name, binary) of an active-active cluster
 * (`name` is `cluster@backend` for volume services, as the services' `cluster_name`). Made by the
 * first member that starts. `disabled`/`disabled_reason` are the cluster's own (set by
 * `PUT /clusters/enable|disable`); `frozen`, `replication_status`, `active_backend_id` are kept
 * with its members' (freeze/thaw/failover). `num_hosts`, `num_down_hosts` and `last_heartbeat` are
 * not stored: they are counted from the members' service rows when read. `race_preventer` is 0 on
 * a live row and its id once deleted, so (name, binary, race_preventer) is unique: two members
 * starting together cannot both create the row.
 *
 * `workers.race_preventer`: bumped by each claim, so of two services claiming one worker row for
 * cleanup only one wins (Cinder's `worker_claim_for_cleanup`).
 */
export function clustersMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await softDelete(
        autoId(create('clusters'), dialect)
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('binary', 'varchar(255)', (c) => c.notNull())
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('disabled_reason', 'varchar(255)')
          .addColumn('race_preventer', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('replication_status', 'varchar(36)')
          .addColumn('active_backend_id', 'varchar(255)')
          .addColumn('frozen', 'integer', (c) => c.notNull().defaultTo(0))
          .addUniqueConstraint('clusters_name_binary_race_key', ['name', 'binary', 'race_preventer']),
      ).execute();
      await db.schema
        .alterTable('workers')
        .addColumn('race_preventer', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('workers_service_id_idx').on('workers').column('service_id').execute();
    },
  };
}
