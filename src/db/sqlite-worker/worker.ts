/**
 * The SQLite worker: owns the one better-sqlite3 connection and runs the statements that
 * {@link WorkerSqliteDriver} posts, in arrival order except while a transaction holds the
 * connection (see {@link LeaseScheduler}), so statements, commits and their fsyncs happen off the
 * main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { LeaseScheduler } from './lease-scheduler.js';
import { openSqlite, type SqliteSetup } from './sqlite-setup.js';
import type { ErrorResponse, QueryRequest, WorkerRequest, WorkerResponse } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('sqlite-worker/worker.js must run in a worker thread');

function errorResponse(id: number, e: unknown): ErrorResponse {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return {
    id,
    error: { message: err.message, name: err.name, ...(typeof code === 'string' ? { code } : {}) },
  };
}

/** True when a row holds a BLOB (a Buffer arrives as a plain Uint8Array on the other side). */
function hasBlob(rows: unknown[]): boolean {
  for (const row of rows)
    for (const v of Object.values(row as Record<string, unknown>)) if (v instanceof Uint8Array) return true;
  return false;
}

function answer(res: WorkerResponse): void {
  try {
    port!.postMessage(res);
  } catch (e) {
    // NOTE: a value structured clone cannot copy; still answer, or the caller would wait forever.
    port!.postMessage(errorResponse(res.id, e));
  }
}

function execute(db: SQLite.Database, req: QueryRequest): WorkerResponse {
  if (req.begin) {
    try {
      db.prepare('begin').run();
    } catch (e) {
      return { ...errorResponse(req.id, e), beginFailed: true };
    }
  }
  try {
    const stmt = db.prepare(req.sql);
    if (stmt.reader) {
      const rows = stmt.all(req.parameters);
      return hasBlob(rows) ? { id: req.id, rows, blobs: true } : { id: req.id, rows };
    }
    const { changes, lastInsertRowid } = stmt.run(req.parameters);
    return { id: req.id, changes, lastInsertRowid };
  } catch (e) {
    return errorResponse(req.id, e);
  }
}

function close(db: SQLite.Database, id: number): void {
  try {
    db.close();
    answer({ id, done: true });
  } catch (e) {
    answer(errorResponse(id, e));
  }
  port!.close();
}

function serve(db: SQLite.Database): void {
  const scheduler = new LeaseScheduler<QueryRequest>(
    (req) => answer(execute(db, req)),
    () => db.inTransaction,
  );
  port!.on('message', (req: WorkerRequest) => {
    if ('sql' in req) scheduler.submit(req);
    else if ('release' in req) scheduler.release(req.release, () => db.exec('rollback'));
    else close(db, req.id);
  });
}

let db: SQLite.Database | undefined;
try {
  db = openSqlite(SQLite, workerData as SqliteSetup);
} catch (e) {
  answer(errorResponse(0, e));
  port.close();
}
if (db) {
  serve(db);
  answer({ id: 0, done: true });
}
