/**
 * Puts a PostgreSQL test database back the way a fresh Kindling left it, so one set of service
 * processes can serve the next test (test/support/distributed-kindling.ts). The snapshot is plain
 * copies of every table in a schema of its own, taken once the services are up; restoring empties
 * every table and copies the rows back, in one transaction. The `services` rows stay (the running
 * processes heartbeat them by id): only what an admin can change on them is put back.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';

const SNAPSHOT_SCHEMA = 'kindling_test_snapshot';
/** Tables the snapshot leaves alone: the migrator's. */
const UNTOUCHED = /^kysely_migration/;
/** Columns of `services` that API calls change; heartbeats and ids stay as the processes wrote them. */
const SERVICE_ADMIN_COLUMNS = [
  'disabled',
  'disabled_reason',
  'frozen',
  'modified_at',
  'deleted',
  'deleted_at',
  'availability_zone',
  'cluster_name',
  'replication_status',
  'active_backend_id',
];

type Db = Kysely<Database>;
const id = (name: string) => sql.id(name);
const table = (schema: string, name: string) => sql.id(schema, name);

/** What {@link takeSnapshot} saved: the tables and their row counts. */
export interface DatabaseSnapshot {
  readonly schema: string;
  readonly tables: readonly string[];
  readonly counts: ReadonlyMap<string, number>;
  readonly serviceColumns: readonly string[];
  /** Tables with a `status` column (and whether they have `deleted_at`), for {@link busyRows}. */
  readonly statusTables: readonly { name: string; softDelete: boolean }[];
}

async function rowCounts(db: Db, schema: string, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const t of tables) {
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM ${table(schema, t)}`.execute(db);
    counts.set(t, Number(r.rows[0]!.n));
  }
  return counts;
}

/** Copies every table of the database's schema aside. */
export async function takeSnapshot(db: Db): Promise<DatabaseSnapshot> {
  const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(db)).rows[0]!.s;
  const tables = (
    await sql<{ name: string }>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = ${schema} AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db)
  ).rows
    .map((r) => r.name)
    .filter((t) => !UNTOUCHED.test(t));
  const columns = (
    await sql<{ t: string; c: string }>`
      SELECT table_name AS t, column_name AS c FROM information_schema.columns
      WHERE table_schema = ${schema}`.execute(db)
  ).rows;
  const has = (t: string, c: string) => columns.some((x) => x.t === t && x.c === c);
  await db.transaction().execute(async (tx) => {
    await sql`CREATE SCHEMA ${id(SNAPSHOT_SCHEMA)}`.execute(tx);
    for (const t of tables)
      await sql`CREATE TABLE ${table(SNAPSHOT_SCHEMA, t)} AS TABLE ${table(schema, t)}`.execute(tx);
  });
  return {
    schema,
    tables,
    counts: await rowCounts(db, SNAPSHOT_SCHEMA, tables),
    serviceColumns: SERVICE_ADMIN_COLUMNS.filter((c) => has('services', c)),
    statusTables: tables
      .filter((t) => t !== 'services' && has(t, 'status'))
      .map((name) => ({ name, softDelete: has(name, 'deleted_at') })),
  };
}

/**
 * Rows still on their way (`creating`, `deleting`, … — any status ending in `ing` but the final
 * `error_deleting` and kin, workers included): a test may end before its volumes settle, and
 * their services still write.
 */
export async function busyRows(db: Db, snap: DatabaseSnapshot): Promise<string[]> {
  const busy: string[] = [];
  for (const { name, softDelete } of snap.statusTables) {
    const live = softDelete ? sql`AND deleted_at IS NULL` : sql``;
    const r = await sql<{ status: string }>`
      SELECT status FROM ${table(snap.schema, name)}
      WHERE status LIKE '%ing' AND status NOT LIKE 'error%' ${live}`.execute(db);
    busy.push(...r.rows.map((x) => `${name}:${x.status}`));
  }
  return busy;
}

/** Whether every table holds as many rows as the snapshot (no late write slipped in). */
export async function matchesSnapshot(db: Db, snap: DatabaseSnapshot): Promise<boolean> {
  const now = await rowCounts(db, snap.schema, snap.tables);
  return snap.tables.every((t) => now.get(t) === snap.counts.get(t));
}

/**
 * Puts every table back as snapshotted. Returns whether a `services` row had changed (the
 * schedulers keep the service list for a second, so the caller waits that out).
 */
export async function restoreSnapshot(db: Db, snap: DatabaseSnapshot): Promise<boolean> {
  const s = snap.schema;
  const data = snap.tables.filter((t) => t !== 'services');
  return db.transaction().execute(async (tx) => {
    const cols = snap.serviceColumns;
    const changed = cols.length
      ? await sql<{ n: string }>`
          SELECT count(*) AS n FROM ${table(s, 'services')} x
          LEFT JOIN ${table(SNAPSHOT_SCHEMA, 'services')} p ON p.id = x.id
          WHERE p.id IS NULL OR (${sql.join(cols.map((c) => sql`x.${id(c)}`))})
            IS DISTINCT FROM (${sql.join(cols.map((c) => sql`p.${id(c)}`))})`.execute(tx)
      : { rows: [{ n: '0' }] };
    if (data.length) await sql`TRUNCATE ${sql.join(data.map((t) => table(s, t)))}`.execute(tx);
    // NOTE: the copies are put back as they were: triggers must not count the volumes copied back
    // again into `capacity_allocations`, which is copied back too.
    await sql`SET LOCAL session_replication_role = replica`.execute(tx);
    for (const t of data)
      if (snap.counts.get(t))
        await sql`INSERT INTO ${table(s, t)} OVERRIDING SYSTEM VALUE
                  SELECT * FROM ${table(SNAPSHOT_SCHEMA, t)}`.execute(tx);
    if (cols.length && snap.tables.includes('services')) {
      await sql`
        UPDATE ${table(s, 'services')} AS x
        SET ${sql.join(cols.map((c) => sql`${id(c)} = p.${id(c)}`))}
        FROM ${table(SNAPSHOT_SCHEMA, 'services')} AS p WHERE x.id = p.id`.execute(tx);
      await sql`
        DELETE FROM ${table(s, 'services')}
        WHERE id NOT IN (SELECT id FROM ${table(SNAPSHOT_SCHEMA, 'services')})`.execute(tx);
    }
    return Number(changed.rows[0]!.n) > 0;
  });
}
