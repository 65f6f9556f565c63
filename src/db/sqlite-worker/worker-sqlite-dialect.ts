import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
} from 'kysely';
import type { SqliteSetup } from './sqlite-setup.js';
import { WorkerSqliteDriver } from './worker-sqlite-driver.js';

/**
 * kysely's SQLite dialect (same adapter, compiler and introspector) with a driver that runs
 * better-sqlite3 on a worker thread:
 *
 * ```ts
 * new Kysely<Database>({ dialect: new WorkerSqliteDialect({ filename: 'kindling.db', synchronous: 'FULL' }) })
 * ```
 */
export class WorkerSqliteDialect implements Dialect {
  readonly #setup: SqliteSetup;

  constructor(setup: SqliteSetup) {
    this.#setup = Object.freeze({ ...setup });
  }

  createDriver(): Driver {
    return new WorkerSqliteDriver(this.#setup);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
