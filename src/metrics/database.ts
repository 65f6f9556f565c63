/**
 * The database observer the core installs (src/db/observed-dialect.ts calls it): statement and
 * transaction times into the process registry. Label children are looked up once and kept, so a
 * statement costs one histogram update.
 */
import type { Histogram } from 'prom-client';
import type { DatabaseObserver, StatementOperation } from '../db/observed-dialect.js';
import { dbQueryDuration, dbTransactionDuration } from './registry.js';

type Child = ReturnType<Histogram['labels']>;
const statements = new Map<string, Child>();
const transactions = new Map<string, Child>();

function child(cache: Map<string, Child>, key: string, make: () => Child): Child {
  let c = cache.get(key);
  if (!c) cache.set(key, (c = make()));
  return c;
}

export const databaseMetrics: DatabaseObserver = {
  statement(operation: StatementOperation, ok: boolean, seconds: number) {
    const outcome = ok ? 'ok' : 'error';
    child(statements, `${operation}/${outcome}`, () =>
      dbQueryDuration.labels({ operation, outcome }),
    ).observe(seconds);
  },
  transaction(outcome: 'commit' | 'rollback', seconds: number) {
    child(transactions, outcome, () => dbTransactionDuration.labels({ outcome })).observe(seconds);
  },
};
