import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Dialect, type Generated } from 'kysely';
import { openSqlite } from '../../../src/db/sqlite-worker/sqlite-setup.js';
import { WorkerSqliteDialect } from '../../../src/db/sqlite-worker/worker-sqlite-dialect.js';

interface Db {
  t: { id: Generated<number>; name: string; n: Generated<number>; blob: Buffer | null };
}

const dir = mkdtempSync(join(tmpdir(), 'kindling-sqlite-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Both drivers, so every behaviour of the worker driver is checked against kysely's own. */
const DIALECTS: [string, (file: string) => Dialect][] = [
  ['worker', (file) => new WorkerSqliteDialect({ filename: file, synchronous: 'FULL' })],
  [
    'in-thread',
    (file) => new SqliteDialect({ database: openSqlite(SQLite, { filename: file, synchronous: 'FULL' }) }),
  ],
];

for (const [name, makeDialect] of DIALECTS) {
  describe(`sqlite driver (${name})`, () => {
    let db: Kysely<Db>;
    before(async () => {
      db = new Kysely<Db>({ dialect: makeDialect(join(dir, `${name}.db`)) });
      await db.schema
        .createTable('t')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('n', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('blob', 'blob')
        .execute();
    });
    after(() => db.destroy());

    test('insert/update/delete give bigint insertId and numAffectedRows as kysely expects', async () => {
      const ins = await db.insertInto('t').values({ id: 41, name: 'a' }).executeTakeFirstOrThrow();
      assert.equal(ins.insertId, 41n);
      assert.equal(ins.numInsertedOrUpdatedRows, 1n);
      await db.insertInto('t').values({ name: 'b' }).execute();
      const upd = await db
        .updateTable('t')
        .set({ n: 5 })
        .where('name', 'in', ['a', 'b'])
        .executeTakeFirstOrThrow();
      assert.equal(upd.numUpdatedRows, 2n);
      const del = await db.deleteFrom('t').where('name', '=', 'b').executeTakeFirstOrThrow();
      assert.equal(del.numDeletedRows, 1n);
      const rows = await db.selectFrom('t').select(['id', 'name', 'n']).execute();
      assert.deepEqual(rows, [{ id: 41, name: 'a', n: 5 }]);
      await db.deleteFrom('t').execute();
    });

    test('RETURNING statements return rows', async () => {
      const row = await db
        .insertInto('t')
        .values({ name: 'r', n: 3 })
        .returning(['name', 'n'])
        .executeTakeFirst();
      assert.deepEqual(row, { name: 'r', n: 3 });
      await db.deleteFrom('t').execute();
    });

    test('strings, numbers, null, bigint and Buffer parameters round-trip', async () => {
      const blob = Buffer.from([0, 1, 2, 255]);
      await db.insertInto('t').values({ name: 'p', n: 7, blob }).execute();
      const r = await sql<{
        s: string;
        i: number;
        f: number;
        z: null;
        b: number;
        blob: Buffer;
      }>`select ${'x'} as s, ${3} as i, ${1.5} as f, ${null} as z, ${9007199254740993n} - 9007199254740990 as b, blob from t`.execute(
        db,
      );
      const row = r.rows[0]!;
      assert.deepEqual({ ...row, blob: undefined }, { s: 'x', i: 3, f: 1.5, z: null, b: 3, blob: undefined });
      assert.ok(Buffer.isBuffer(row.blob), 'a BLOB comes back as a Buffer');
      assert.deepEqual(row.blob, blob);
      await db.deleteFrom('t').execute();
    });

    test('errors keep their message and SQLite code', async () => {
      await db.insertInto('t').values({ name: 'dup' }).execute();
      await assert.rejects(
        db.insertInto('t').values({ name: 'dup' }).execute(),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'SQLITE_CONSTRAINT_UNIQUE');
          assert.equal(e.message, 'UNIQUE constraint failed: t.name');
          assert.ok(e instanceof SQLite.SqliteError);
          return true;
        },
      );
      await assert.rejects(sql`select * from nowhere`.execute(db), {
        code: 'SQLITE_ERROR',
        message: 'no such table: nowhere',
      });
      await assert.rejects(sql`select ${true} as b`.execute(db), TypeError);
      await db.deleteFrom('t').execute();
    });

    test('a transaction commits, and a throwing one rolls back', async () => {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ name: 'kept' }).execute();
        await trx.updateTable('t').set({ n: 1 }).where('name', '=', 'kept').execute();
      });
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('t').values({ name: 'lost' }).execute();
          throw new Error('abort');
        }),
        /abort/,
      );
      // a failing first statement (the one that carries `begin`) also leaves nothing open
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('t').values({ name: 'kept' }).execute();
        }),
        { code: 'SQLITE_CONSTRAINT_UNIQUE' },
      );
      await db.transaction().execute(async () => undefined); // no statement at all
      const names = await db.selectFrom('t').select(['name', 'n']).execute();
      assert.deepEqual(names, [{ name: 'kept', n: 1 }]);
      await db.deleteFrom('t').execute();
    });

    test('savepoints inside a controlled transaction', async () => {
      const trx = await db.startTransaction().execute();
      await trx.insertInto('t').values({ name: 'one' }).execute();
      const sp = await trx.savepoint('sp1').execute();
      await sp.insertInto('t').values({ name: 'two' }).execute();
      const back = await sp.rollbackToSavepoint('sp1').execute();
      await back.releaseSavepoint('sp1').execute();
      await trx.commit().execute();
      const names = await db.selectFrom('t').select('name').execute();
      assert.deepEqual(names, [{ name: 'one' }]);
      await db.deleteFrom('t').execute();
    });

    test('concurrent transactions serialize; other callers never see uncommitted rows', async () => {
      await db.insertInto('t').values({ id: 1, name: 'counter', n: 0 }).execute();
      const seen: number[] = [];
      const callers = Array.from({ length: 40 }, async (_, i) => {
        if (i % 4 === 3) {
          // outside any transaction: must only ever see committed (even) values
          const r = await db.selectFrom('t').select('n').where('id', '=', 1).executeTakeFirstOrThrow();
          seen.push(r.n);
          return;
        }
        await db.transaction().execute(async (trx) => {
          const r = await trx.selectFrom('t').select('n').where('id', '=', 1).executeTakeFirstOrThrow();
          await trx
            .updateTable('t')
            .set({ n: r.n + 1 })
            .where('id', '=', 1)
            .execute();
          await new Promise((res) => setImmediate(res)); // let other callers run meanwhile
          const again = await trx.selectFrom('t').select('n').where('id', '=', 1).executeTakeFirstOrThrow();
          await trx
            .updateTable('t')
            .set({ n: again.n + 1 })
            .where('id', '=', 1)
            .execute();
        });
      });
      await Promise.all(callers);
      const final = await db.selectFrom('t').select('n').where('id', '=', 1).executeTakeFirstOrThrow();
      assert.equal(final.n, 60); // 30 transactions × 2 increments, none lost
      assert.equal(seen.length, 10);
      for (const n of seen) assert.equal(n % 2, 0, `saw a half-done transaction (n=${n})`);
      await db.deleteFrom('t').execute();
    });
  });
}

describe('WorkerSqliteDialect lifecycle', () => {
  test('the worker applies the pragmas and closes the database on destroy', async () => {
    const file = join(dir, 'life.db');
    const db = new Kysely<Db>({
      dialect: new WorkerSqliteDialect({ filename: file, synchronous: 'NORMAL' }),
    });
    const prag = async (p: string) => (await sql.raw(`pragma ${p}`).execute(db)).rows[0];
    assert.deepEqual(await prag('journal_mode'), { journal_mode: 'wal' });
    assert.deepEqual(await prag('synchronous'), { synchronous: 1 });
    assert.deepEqual(await prag('busy_timeout'), { timeout: 5000 });
    await sql`create table kept (x integer)`.execute(db);
    await sql`insert into kept values (7)`.execute(db);
    await db.destroy();
    // the data is on disk, and no other connection holds the file
    const check = new SQLite(file);
    assert.deepEqual(check.prepare('select x from kept').all(), [{ x: 7 }]);
    check.close();
  });

  test('a database that cannot be opened fails the first query with the error better-sqlite3 threw', async () => {
    const db = new Kysely<Db>({
      dialect: new WorkerSqliteDialect({ filename: join(dir, 'no/such/dir/x.db'), synchronous: 'FULL' }),
    });
    await assert.rejects(sql`select 1`.execute(db), {
      name: 'TypeError',
      message: 'Cannot open database because the directory does not exist',
    });
    await db.destroy();
  });

  test('queries after destroy are rejected', async () => {
    const db = new Kysely<Db>({
      dialect: new WorkerSqliteDialect({ filename: ':memory:', synchronous: 'FULL' }),
    });
    await sql`select 1`.execute(db);
    await db.destroy();
    await assert.rejects(sql`select 1`.execute(db));
  });
});
