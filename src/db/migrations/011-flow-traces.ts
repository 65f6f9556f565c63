import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect-name.js';
import { TS, UUID } from './column-types.js';
import { tableFactory } from './table-options.js';

/**
 * Kindling's own tables and columns for what operators see of a request (docs/operations.md):
 *
 * - `flow_traces`: one row per run of a create flow for a volume (`volume:create_api`,
 *   `volume:create_scheduler`, `volume:create_manager`; a rescheduled create has more): the
 *   service host that ran it, its outcome, when it started and ended, every task of the flow
 *   with its start, end, outcome and revert (`tasks`, JSON) and, for the scheduler's flow, the
 *   scheduler's decision (`decision`, JSON). Written once per flow run, at its end; removed once
 *   `expires_at` (now + `flow_trace_ttl`) has passed. No soft delete.
 * - `messages.detail_text`: what Kindling adds after Cinder's detail in a user message (the
 *   scheduler's NoValidBackend reason and filter results); null for every message Cinder's
 *   texts say all of.
 */
export function flowTracesMigration(dialect: DialectName): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const create = await tableFactory(db, dialect);
      await create('flow_traces')
        .addColumn('id', UUID, (c) => c.primaryKey())
        .addColumn('volume_id', UUID, (c) => c.notNull())
        .addColumn('project_id', 'varchar(255)')
        .addColumn('request_id', 'varchar(255)')
        .addColumn('flow', 'varchar(255)', (c) => c.notNull())
        .addColumn('host', 'varchar(255)')
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('started_at', TS, (c) => c.notNull())
        .addColumn('finished_at', TS, (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('tasks', 'text', (c) => c.notNull())
        .addColumn('decision', 'text')
        .addColumn('created_at', TS, (c) => c.notNull())
        .addColumn('expires_at', TS, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('flow_traces_volume_id_idx')
        .on('flow_traces')
        .columns(['volume_id', 'started_at'])
        .execute();
      await db.schema
        .createIndex('flow_traces_expires_at_idx')
        .on('flow_traces')
        .column('expires_at')
        .execute();
      await db.schema.alterTable('messages').addColumn('detail_text', 'varchar(1024)').execute();
    },
  };
}
