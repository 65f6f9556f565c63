/**
 * Named (server-side prepared) statements on PostgreSQL connections.
 *
 * kysely sends every query as an unnamed statement, which PostgreSQL parses, analyses and plans
 * anew each time: for Kindling's small queries that is most of their cost (planning the volume
 * list's `volumes.* … join volume_types` takes ~1.2 ms, running it 0.4 ms). A statement sent once
 * under a name is parsed once per connection and, after a few runs, planned once (PostgreSQL's
 * plan cache, `plan_cache_mode = auto`). Each pooled connection names the parameterized statements
 * it sends, up to {@link MAX_NAMED_PER_CONNECTION} distinct texts of at most
 * {@link MAX_NAMED_PARAMS} parameters (long `IN` lists vary in length; they stay unnamed).
 *
 * A schema change (a column added by `kindling manage db sync` while services run) makes
 * PostgreSQL refuse a prepared `SELECT *` whose result columns changed: "cached plan must not
 * change result type". The connection then forgets every name it gave (new names from then on),
 * and a statement outside a transaction is sent again unnamed (it did nothing: PostgreSQL checks
 * before running it); inside one, the error ends the transaction, which {@link isStalePlan} lets
 * `withDeadlockRetry` run again. Env `KINDLING_PG_NAMED_STATEMENTS=0` turns naming off.
 */
import type pg from 'pg';

/** Statements with more parameters than this are sent unnamed. */
export const MAX_NAMED_PARAMS = 64;
/** Distinct statement texts one connection names; later ones are sent unnamed. */
export const MAX_NAMED_PER_CONNECTION = 256;

/** Whether `err` is PostgreSQL refusing a prepared statement whose result type a schema change altered. */
export function isStalePlan(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  return (
    e.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change')
  );
}

type QueryFn = (text: unknown, values?: unknown, callback?: unknown) => unknown;

/** Makes `client` send its parameterized statements as named ones (see the file's comment). */
export function nameStatements(client: pg.ClientBase): void {
  const send = client.query.bind(client) as QueryFn;
  let generation = 0;
  let names = new Map<string, string>();
  let inTransaction = false;
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED_PER_CONNECTION) {
      name = `kindling_${generation}_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  const query: QueryFn = (text, values, callback) => {
    if (typeof text !== 'string') return send(text, values, callback);
    if (!Array.isArray(values) || values.length === 0 || values.length > MAX_NAMED_PARAMS) {
      // NOTE: kysely's BEGIN, COMMIT and ROLLBACK come this way (no parameters).
      if (/^\s*(begin|start\s+transaction)\b/i.test(text)) inTransaction = true;
      else if (/^\s*(commit|end|abort|rollback(?!\s+to\b))\b/i.test(text)) inTransaction = false;
      return send(text, values, callback);
    }
    const name = callback === undefined ? nameOf(text) : undefined;
    if (name === undefined) return send(text, values, callback);
    return (send({ name, text, values }) as Promise<pg.QueryResult>).catch((err: unknown) => {
      if (!isStalePlan(err)) throw err;
      generation++;
      names = new Map();
      if (inTransaction) throw err;
      return send(text, values);
    });
  };
  client.query = query as typeof client.query;
}
