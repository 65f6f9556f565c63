import { SelectQueryNode, type CompiledQuery, type DatabaseConnection, type QueryResult } from 'kysely';
import type { Batch } from './batch.js';

/** What a lease runs its statements on: the group-commit driver (./driver.ts). */
export interface LeaseDriver {
  execute<R>(lease: Lease, query: CompiledQuery): Promise<QueryResult<R>>;
}

/** One acquisition of the single connection, as kysely sees it. */
export class Lease implements DatabaseConnection {
  /** Whether this lease holds the connection (false once it handed it on early). */
  holds = true;
  /** The batch of the logical transaction open on this lease, if any. */
  batch: Batch | undefined = undefined;
  /** Whether the open logical transaction wrote anything. */
  dirty = false;

  constructor(private readonly driver: LeaseDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute<R>(this, query);
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query))
      throw new Error('Sqlite driver only supports streaming of select queries');
    // NOTE: read whole, then yielded row by row: an iterator left open would hold the connection.
    const { rows } = await this.executeQuery<R>(query);
    for (const row of rows) yield { rows: [row] };
  }
}
