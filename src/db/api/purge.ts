/**
 * `kindling manage db purge <age_in_days>` (Cinder's `purge_deleted_rows`): hard-deletes the rows
 * soft-deleted more than `age_in_days` ago, table by table, children before parents.
 *
 * Cinder relies on the database's foreign keys and fails the whole purge (rolled back) when a row
 * it deletes is still referenced. Kindling's tables declare none (and SQLite runs with
 * `foreign_keys = OFF`), so the references Cinder's models declare are listed here and checked
 * by the queries: a deleted row that a row left in the database still points at is kept (and
 * counted), to go in a later purge once what points at it has gone.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from '../connection.js';
import type { Database } from '../schema.js';
import { formatTimestamp } from '../../common/time.js';

/** `child.column` points at `parent.parentColumn` (one of Cinder's model foreign keys). */
export interface PurgeReference {
  readonly child: keyof Database;
  readonly column: string;
  readonly parent: keyof Database;
  readonly parentColumn: string;
}

/** Cinder's foreign keys between tables Kindling has (cinder/db/sqlalchemy/models.py). */
export const PURGE_REFERENCES: readonly PurgeReference[] = [
  ref('volume_metadata', 'volume_id', 'volumes'),
  ref('volume_admin_metadata', 'volume_id', 'volumes'),
  ref('volume_attachment', 'volume_id', 'volumes'),
  ref('volume_glance_metadata', 'volume_id', 'volumes'),
  ref('volume_glance_metadata', 'snapshot_id', 'snapshots'),
  ref('transfers', 'volume_id', 'volumes'),
  ref('snapshots', 'volume_id', 'volumes'),
  ref('snapshots', 'group_snapshot_id', 'group_snapshots'),
  ref('snapshot_metadata', 'snapshot_id', 'snapshots'),
  ref('backup_metadata', 'backup_id', 'backups'),
  ref('volumes', 'group_id', 'groups'),
  ref('volumes', 'service_uuid', 'services', 'uuid'),
  ref('workers', 'service_id', 'services'),
  ref('group_snapshots', 'group_id', 'groups'),
  ref('group_volume_type_mapping', 'group_id', 'groups'),
  ref('group_volume_type_mapping', 'volume_type_id', 'volume_types'),
  ref('volume_type_extra_specs', 'volume_type_id', 'volume_types'),
  ref('volume_type_projects', 'volume_type_id', 'volume_types'),
  ref('default_volume_types', 'volume_type_id', 'volume_types'),
  ref('volume_types', 'qos_specs_id', 'quality_of_service_specs'),
  ref('quality_of_service_specs', 'specs_id', 'quality_of_service_specs'),
  ref('group_type_specs', 'group_type_id', 'group_types'),
  ref('reservations', 'usage_id', 'quota_usages'),
];

function ref(
  child: keyof Database,
  column: string,
  parent: keyof Database,
  parentColumn = 'id',
): PurgeReference {
  return { child, column, parent, parentColumn };
}

/**
 * Every soft-deleting table (a `deleted` and a `deleted_at` column), children before parents:
 * each table comes before every table it references. (`default_volume_types`,
 * `image_volume_cache_entries` and `flow_traces` delete rows outright and are not purged.) A
 * soft-deleting table not listed here (one a newer migration added) is found in the schema and
 * purged first, with no reference checked.
 */
export const PURGE_ORDER: readonly (keyof Database)[] = [
  'reservations',
  'volume_metadata',
  'volume_admin_metadata',
  'volume_attachment',
  'volume_glance_metadata',
  'snapshot_metadata',
  'transfers',
  'backup_metadata',
  'workers',
  'group_volume_type_mapping',
  'volume_type_extra_specs',
  'volume_type_projects',
  'group_type_specs',
  'encryption',
  'messages',
  'quotas',
  'quota_classes',
  'backups',
  'snapshots',
  'volumes',
  'group_snapshots',
  'groups',
  'services',
  'clusters',
  'quota_usages',
  'volume_types',
  'quality_of_service_specs',
  'group_types',
];

/** The primary key each table's rows are deleted by. */
const KEY: Partial<Record<keyof Database, string>> = { encryption: 'encryption_id' };

/** What a purge did to one table. */
export interface TablePurge {
  readonly table: string;
  /** Rows hard-deleted. */
  readonly purged: number;
  /** Rows deleted before the cutoff but kept: rows left in the database still reference them. */
  readonly kept: number;
}

/** Rows deleted per statement (an `IN` list of keys). */
const BATCH = 500;

/**
 * Hard-deletes every row soft-deleted (`deleted` not 0: some tables store the row's id there)
 * before `now - ageInDays` days, in one transaction, children first; a row still referenced by a
 * row that stays is kept. Returns one entry per table that had such rows, in purge order.
 */
export async function purgeDeletedRows(
  h: DatabaseHandle,
  ageInDays: number,
  now: Date = new Date(),
): Promise<{ cutoff: string; tables: TablePurge[] }> {
  const cutoff = formatTimestamp(new Date(now.getTime() - ageInDays * 86_400_000));
  const order = [...(await unlistedSoftDeleteTables(h)), ...PURGE_ORDER];
  const tables: TablePurge[] = [];
  await h.db.transaction().execute(async (trx) => {
    for (const table of order) {
      const result = await purgeTable(trx, table, cutoff);
      if (result.purged || result.kept) tables.push(result);
    }
  });
  return { cutoff, tables };
}

/** Tables of the database's schema with `deleted` and `deleted_at` that PURGE_ORDER lacks. */
async function unlistedSoftDeleteTables(h: DatabaseHandle): Promise<(keyof Database)[]> {
  const schema =
    h.dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(h.db)).rows[0]?.s
      : undefined;
  const listed = new Set<string>(PURGE_ORDER);
  return (await h.db.introspection.getTables())
    .filter((t) => schema === undefined || t.schema === undefined || t.schema === schema)
    .filter((t) => !listed.has(t.name))
    .filter((t) => ['deleted', 'deleted_at'].every((c) => t.columns.some((col) => col.name === c)))
    .map((t) => t.name as keyof Database)
    .sort();
}

/** Untyped kysely: the tables are walked by name, and their key columns differ. */
type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

async function purgeTable(trx: Kysely<Database>, table: keyof Database, cutoff: string): Promise<TablePurge> {
  const db = trx as unknown as AnyDb;
  const key = KEY[table] ?? 'id';
  const referencedBy = PURGE_REFERENCES.filter((r) => r.parent === table);
  const old = () =>
    db
      .selectFrom(`${table} as t`)
      .where(sql.ref(`t.deleted`), '<>', 0)
      .where(sql.ref(`t.deleted_at`), '<', cutoff);
  let purged = 0;
  // NOTE: until a pass finds nothing: a table that references itself (QoS specs) frees its parent
  // rows only once their children are gone.
  for (;;) {
    let q = old().select(sql.ref<string | number>(`t.${key}`).as('k'));
    for (const r of referencedBy)
      q = q.where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom(`${r.child} as c`)
              .select(sql.lit(1).as('one'))
              .whereRef(sql.ref(`c.${r.column}`), '=', sql.ref(`t.${r.parentColumn}`)),
          ),
        ),
      );
    const keys = (await q.limit(BATCH).execute()).map((row) => row.k);
    if (!keys.length) break;
    // NOTE: selected first, deleted by key: MySQL refuses a DELETE whose subquery reads its table.
    const res = await db.deleteFrom(table).where(sql.ref(key), 'in', keys).executeTakeFirst();
    purged += Number(res.numDeletedRows);
  }
  const left = await old()
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirst();
  return { table, purged, kept: Number(left?.n ?? 0) };
}
