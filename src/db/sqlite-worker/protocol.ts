/**
 * Messages between {@link WorkerSqliteDriver} and its worker (`worker.ts`). Every statement carries
 * the lease (kysely connection) it was issued on: while one lease has a transaction open, the
 * worker holds back the statements of every other lease (see `LeaseScheduler`).
 */

/** Main → worker: run one statement and answer with the same `id`. */
export interface QueryRequest {
  readonly id: number;
  readonly lease: number;
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /**
   * Run `begin` first: the driver defers a transaction's `begin` to its first statement, which
   * saves a round trip. If `begin` fails, the statement is not run.
   */
  readonly begin?: true;
}

/**
 * Main → worker, no answer: the lease was released while its transaction may still be open
 * (a failed commit and rollback); the worker rolls it back if so.
 */
export interface ReleaseRequest {
  readonly release: number;
}

/** Main → worker: close the database; the worker answers with a `done` response and exits. */
export interface CloseRequest {
  readonly id: number;
  readonly close: true;
}

/** Any request the worker accepts. */
export type WorkerRequest = QueryRequest | ReleaseRequest | CloseRequest;

/** A statement that returns rows (SELECT, … RETURNING, some PRAGMAs). */
export interface RowsResponse {
  readonly id: number;
  readonly rows: unknown[];
  /** Set when some value is a BLOB, which must become a Buffer again on the main thread. */
  readonly blobs?: true;
}

/** A statement without rows; values as better-sqlite3's `RunResult` gives them. */
export interface RunResponse {
  readonly id: number;
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

/** A failed statement: enough to re-create better-sqlite3's `SqliteError` on the main thread. */
export interface ErrorResponse {
  readonly id: number;
  readonly error: { readonly message: string; readonly code?: string; readonly name: string };
  /** The deferred `begin` failed, so no transaction is open. */
  readonly beginFailed?: true;
}

/** The answer to a {@link CloseRequest}, and the worker's first message once the database is open. */
export interface DoneResponse {
  readonly id: number;
  readonly done: true;
}

/** Any message the worker posts back. */
export type WorkerResponse = RowsResponse | RunResponse | ErrorResponse | DoneResponse;
