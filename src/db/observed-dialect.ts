/**
 * A dialect that reports how long each statement and each transaction took, for the metrics
 * (src/metrics/database.ts). It wraps the dialect's driver: every connection's `executeQuery` is
 * timed once per connection (as kysely's own query log does, without its extra awaits), and
 * BEGIN to COMMIT/ROLLBACK is timed per connection. Cost: two `performance.now()` calls and one
 * histogram update per statement.
 */
import { performance } from 'node:perf_hooks';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';

/** What a statement did, from its root node: select, insert, update, delete, raw (`sql`), other. */
export type StatementOperation = 'select' | 'insert' | 'update' | 'delete' | 'raw' | 'other';

/** Told the duration of every statement and transaction of a database handle. */
export interface DatabaseObserver {
  statement(operation: StatementOperation, ok: boolean, seconds: number): void;
  transaction(outcome: 'commit' | 'rollback', seconds: number): void;
}

const OPERATIONS: Readonly<Record<string, StatementOperation>> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
  RawNode: 'raw',
};

function operationOf(query: CompiledQuery): StatementOperation {
  return OPERATIONS[query.query.kind] ?? 'other';
}

function observeConnection(connection: DatabaseConnection, observer: DatabaseObserver): void {
  const execute = connection.executeQuery.bind(connection);
  // NOTE: then() rather than an async wrapper: one promise less per statement.
  connection.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    const start = performance.now();
    const done = (ok: boolean) =>
      observer.statement(operationOf(query), ok, (performance.now() - start) / 1000);
    let pending: Promise<QueryResult<R>>;
    try {
      pending = execute<R>(query);
    } catch (err) {
      // NOTE: kysely's SQLite connection throws synchronously (a statement that does not prepare).
      done(false);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return pending.then(
      (result) => {
        done(true);
        return result;
      },
      (err: unknown) => {
        done(false);
        throw err;
      },
    );
  };
}

function observedDriver(driver: Driver, observer: DatabaseObserver): Driver {
  const observed = new WeakSet<DatabaseConnection>();
  const begun = new WeakMap<DatabaseConnection, number>();
  const end = (connection: DatabaseConnection, outcome: 'commit' | 'rollback') => {
    const start = begun.get(connection);
    if (start === undefined) return;
    begun.delete(connection);
    observer.transaction(outcome, (performance.now() - start) / 1000);
  };
  const overrides: Partial<Driver> = {
    async acquireConnection() {
      const connection = await driver.acquireConnection();
      if (!observed.has(connection)) {
        observed.add(connection);
        observeConnection(connection, observer);
      }
      return connection;
    },
    async beginTransaction(connection, settings) {
      await driver.beginTransaction(connection, settings);
      begun.set(connection, performance.now());
    },
    async commitTransaction(connection) {
      try {
        await driver.commitTransaction(connection);
      } finally {
        end(connection, 'commit');
      }
    },
    async rollbackTransaction(connection) {
      try {
        await driver.rollbackTransaction(connection);
      } finally {
        end(connection, 'rollback');
      }
    },
  };
  // NOTE: every other member (savepoints, init, destroy, …) is the driver's own, bound to it, so
  // drivers with private fields keep working.
  return new Proxy(driver, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Driver];
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `dialect`, with its statements and transactions reported to `observer`. */
export function observedDialect(dialect: Dialect, observer: DatabaseObserver): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => observedDriver(dialect.createDriver(), observer),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
