/**
 * The dialect matrix for database tests, like kysely's own suite: `for (const dialect of DIALECTS)`.
 * Each test gets a fresh database of its own (`kindling_test_<random>` on PostgreSQL and MariaDB, a
 * temporary file on SQLite), created through an admin connection and dropped afterwards, so test
 * files running in parallel never see each other's rows.
 *
 * Env: `DIALECTS=sqlite,postgres,mysql` narrows the matrix (default: all three).
 * `KINDLING_TEST_POSTGRES_URL` / `KINDLING_TEST_MYSQL_URL` name the admin connection
 * (default: `postgresql://postgres@127.0.0.1:5432/test`, `mysql://root@127.0.0.1:3306/test`).
 * A server that cannot be reached makes its tests skip, with the reason, instead of fail.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle, type OpenDatabaseOptions } from '../../src/db/connection.js';
import type { DialectName } from '../../src/db/dialect-name.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import type { SeedValues } from '../../src/db/migrations/001-initial.js';

export type { DialectName };

const ALL: readonly DialectName[] = ['sqlite', 'postgres', 'mysql'];

/** The dialects to test: `DIALECTS` env (comma-separated), default all three. */
export const DIALECTS: readonly DialectName[] = (() => {
  const env = process.env.DIALECTS?.trim();
  if (!env) return ALL;
  const picked = env.split(',').map((s) => s.trim().toLowerCase());
  const bad = picked.filter((d) => !(ALL as readonly string[]).includes(d));
  if (bad.length) throw new Error(`DIALECTS: unknown dialect(s) ${bad.join(', ')}; use ${ALL.join(',')}`);
  return picked as DialectName[];
})();

const ADMIN_URL: Record<Exclude<DialectName, 'sqlite'>, string> = {
  postgres: process.env.KINDLING_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  mysql: process.env.KINDLING_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
};

/** Seed values every test database is migrated with. */
export const TEST_SEED: SeedValues = {
  defaultVolumeTypeId: '00000000-0000-4000-8000-00000000d3f7',
  quotaClassDefaults: { volumes: 10, gigabytes: 1000, snapshots: 10, per_volume_gigabytes: -1 },
};

/** Runs `fn` with an admin connection to the server of `dialect`. */
async function withAdmin<T>(
  dialect: Exclude<DialectName, 'sqlite'>,
  fn: (query: (sql: string) => Promise<unknown>) => Promise<T>,
): Promise<T> {
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: ADMIN_URL.postgres, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      return await fn((sql) => client.query(sql));
    } finally {
      await client.end();
    }
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri: ADMIN_URL.mysql, connectTimeout: 3000 });
  try {
    return await fn((sql) => conn.query(sql));
  } finally {
    await conn.end();
  }
}

const availability = new Map<DialectName, Promise<string | undefined>>();

/**
 * Why the tests of `dialect` must skip (its server is unreachable), or undefined when they can
 * run. Pass it as `describe(name, { skip: await unavailable(d) }, …)`.
 */
export function unavailable(dialect: DialectName): Promise<string | undefined> {
  if (dialect === 'sqlite') return Promise.resolve(undefined);
  let p = availability.get(dialect);
  if (!p) {
    p = withAdmin(dialect, async (q) => {
      await q('SELECT 1');
      return undefined;
    }).catch(
      (e: unknown) =>
        `${dialect} server unreachable at ${redact(ADMIN_URL[dialect])}: ${e instanceof Error ? e.message : String(e)}`,
    );
    availability.set(dialect, p);
  }
  return p;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** A database made for one test: its cinder.conf-style URL, and `drop()` to remove it. */
export interface FreshDatabase {
  readonly dialect: DialectName;
  /** `[database] connection` value, e.g. `postgresql://postgres@127.0.0.1:5432/kindling_test_…`. */
  readonly url: string;
  /** Database name (the file path on SQLite). */
  readonly name: string;
  /** Drops the database (closes nothing: close your handles first). Safe to call twice. */
  drop(): Promise<void>;
}

/** Creates an empty database of its own for `dialect` and returns its URL. */
export async function freshDatabaseUrl(dialect: DialectName): Promise<FreshDatabase> {
  const name = `kindling_test_${randomBytes(6).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-db-'));
    const file = join(dir, `${name}.sqlite`);
    return {
      dialect,
      url: `sqlite:///${file}`,
      name: file,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const reason = await unavailable(dialect);
  if (reason) throw new Error(reason);
  const admin = new URL(ADMIN_URL[dialect]);
  let dropped = false;
  if (dialect === 'postgres') {
    await withAdmin('postgres', (q) => q(`CREATE DATABASE ${name}`));
    admin.pathname = `/${name}`;
    return {
      dialect,
      url: admin.toString(),
      name,
      drop: async () => {
        if (dropped) return;
        dropped = true;
        await withAdmin('postgres', (q) => q(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  }
  // NOTE: the server default collation is deliberately left alone: the migration must set its own.
  await withAdmin('mysql', (q) => q(`CREATE DATABASE ${name}`));
  admin.pathname = `/${name}`;
  // The SQLAlchemy spelling Cinder's deployments use, query string included.
  const url = `${admin.toString().replace(/^mysql:/, 'mysql+pymysql:')}?charset=utf8`;
  return {
    dialect,
    url,
    name,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin('mysql', (q) => q(`DROP DATABASE IF EXISTS ${name}`));
    },
  };
}

/** What {@link withDatabase} hands to its callback. */
export interface TestDatabase {
  readonly dialect: DialectName;
  /** The first handle (already migrated unless `migrate: false`). */
  readonly handle: DatabaseHandle;
  readonly url: string;
  /** Opens another handle (another pool) on the same database; closed for you at the end. */
  open(opts?: OpenDatabaseOptions): Promise<DatabaseHandle>;
}

/** A fresh, open (and by default migrated) database; `close()` closes its handles and drops it. */
export interface OpenTestDatabase extends TestDatabase {
  close(): Promise<void>;
}

/**
 * Creates a fresh database of `dialect`, opens a handle on it and migrates it to the newest schema
 * with {@link TEST_SEED} unless `migrate: false`. For suites: open in `before`, close in `after`.
 */
export async function openFreshDatabase(
  dialect: DialectName,
  opts: { migrate?: boolean } & OpenDatabaseOptions = {},
): Promise<OpenTestDatabase> {
  const { migrate = true, ...openOpts } = opts;
  const fresh = await freshDatabaseUrl(dialect);
  const handles: DatabaseHandle[] = [];
  const open = async (o: OpenDatabaseOptions = openOpts) => {
    const h = await openDatabase(fresh.url, o);
    handles.push(h);
    return h;
  };
  const close = async () => {
    for (const h of handles.splice(0).reverse()) await h.close().catch(() => {});
    await fresh.drop();
  };
  try {
    const handle = await open();
    if (migrate) {
      const res = await migrateToLatest(handle, TEST_SEED);
      if (res.error) throw res.error instanceof Error ? res.error : new Error(JSON.stringify(res.error));
    }
    return { dialect, handle, url: fresh.url, open, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Runs `fn` against a fresh database of `dialect` (see {@link openFreshDatabase}); closes every
 * handle and drops the database afterwards, whatever `fn` did.
 */
export async function withDatabase<T>(
  dialect: DialectName,
  fn: (t: TestDatabase) => Promise<T>,
  opts: { migrate?: boolean } & OpenDatabaseOptions = {},
): Promise<T> {
  const t = await openFreshDatabase(dialect, opts);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}
