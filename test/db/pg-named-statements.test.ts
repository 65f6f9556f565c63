/**
 * Named statements on PostgreSQL (src/db/pg-named-statements.ts), against the real server: a
 * parameterized statement is prepared once per connection, long ones are not, and a schema change
 * under a prepared `SELECT *` costs no failure outside a transaction and one retried transaction
 * inside one.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { MAX_NAMED_PARAMS, MAX_NAMED_PER_CONNECTION, isStalePlan } from '../../src/db/pg-named-statements.js';
import { withDeadlockRetry } from '../../src/db/retry.js';
import { freshDatabaseUrl, unavailable, type FreshDatabase } from '../support/dialects.js';

/** What this connection has prepared under Kindling's names. */
async function prepared(db: Kysely<unknown>): Promise<string[]> {
  const r = await sql<{
    statement: string;
  }>`select statement from pg_prepared_statements where name like 'kindling\\_%' order by prepare_time`.execute(
    db,
  );
  return r.rows.map((row) => row.statement);
}

describe('PostgreSQL named statements', { skip: await unavailable('postgres') }, () => {
  let fresh: FreshDatabase;
  let h: DatabaseHandle;
  before(async () => {
    fresh = await freshDatabaseUrl('postgres');
    // NOTE: one connection, so every statement below meets the same connection's names.
    h = await openDatabase(fresh.url, { maxPoolSize: 1 });
    await sql`create table t (id integer primary key, a text)`.execute(h.db);
    await sql`insert into t values (1, 'one'), (2, 'two')`.execute(h.db);
  });
  after(async () => {
    await h?.close();
    await fresh?.drop();
  });

  test('a parameterized statement is prepared once and reused; a long IN list is not named', async () => {
    const db = h.db as unknown as Kysely<{ t: { id: number; a: string } }>;
    const one = (id: number) => db.selectFrom('t').select('a').where('id', '=', id).executeTakeFirst();
    assert.deepEqual(await one(1), { a: 'one' });
    assert.deepEqual(await one(2), { a: 'two' });
    const ids = Array.from({ length: MAX_NAMED_PARAMS + 1 }, (_, i) => i);
    assert.equal((await db.selectFrom('t').select('id').where('id', 'in', ids).execute()).length, 2);
    await db.connection().execute(async (c) => {
      const statements = await prepared(c as unknown as Kysely<unknown>);
      assert.equal(statements.filter((s) => s === 'select "a" from "t" where "id" = $1').length, 1);
      assert.ok(!statements.some((s) => s.includes(`$${MAX_NAMED_PARAMS + 1}`)));
    });
  });

  test('a column added under a prepared SELECT *: no error outside a transaction, one retry inside', async () => {
    const db = h.db as unknown as Kysely<{ t: { id: number; a: string; b?: string | null } }>;
    const all = (d: typeof db) => d.selectFrom('t').selectAll().where('id', '=', 1).executeTakeFirst();
    assert.deepEqual(await all(db), { id: 1, a: 'one' });
    await sql`alter table t add column b text default 'bee'`.execute(h.db);
    assert.deepEqual(await all(db), { id: 1, a: 'one', b: 'bee' }, 'answered, with the new column');

    assert.deepEqual(await all(db), { id: 1, a: 'one', b: 'bee' });
    await sql`alter table t add column c integer default 3`.execute(h.db);
    let attempts = 0;
    let firstError: unknown;
    const row = await withDeadlockRetry(() =>
      db.transaction().execute(async (trx) => {
        attempts++;
        try {
          return await all(trx);
        } catch (e) {
          firstError ??= e;
          throw e;
        }
      }),
    );
    assert.deepEqual(row, { id: 1, a: 'one', b: 'bee', c: 3 });
    assert.equal(attempts, 2, 'the transaction refused once, then ran again');
    assert.ok(isStalePlan(firstError));
  });

  test('past the per-connection limit, statements still run (unnamed)', async () => {
    const db = h.db as unknown as Kysely<{ t: { id: number; a: string } }>;
    for (let n = 0; n < MAX_NAMED_PER_CONNECTION + 5; n++) {
      const row = await db
        .selectFrom('t')
        .select(sql<number>`${n}::int`.as(`n${n}`))
        .where('id', '=', 1)
        .executeTakeFirst();
      assert.equal((row as Record<string, number>)[`n${n}`], n);
    }
  });
});
