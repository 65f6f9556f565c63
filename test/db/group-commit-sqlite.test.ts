import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2 } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { GroupCommitSqliteDialect, type GroupCommitLimits } from '../../src/db/group-commit-sqlite.js';
import { openSqlite } from '../../src/db/sqlite-worker/sqlite-setup.js';

interface Db {
  t: { id: number; v: string };
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kindling-gc-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function open(limits: GroupCommitLimits & { walSyncPath?: (file: string) => string } = {}) {
  const filename = join(dir, `db${++files}.sqlite`);
  const { walSyncPath, ...rest } = limits;
  const database = openSqlite(SQLite, { filename, synchronous: walSyncPath ? 'NORMAL' : 'FULL' });
  database.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const batches: number[] = [];
  const db = new Kysely<Db>({
    dialect: new GroupCommitSqliteDialect({
      database,
      ...rest,
      ...(walSyncPath ? { walSyncPath: walSyncPath(filename) } : {}),
      onBatchCommit: (n) => batches.push(n),
    }),
  });
  // NOTE: another connection sees a row only once the physical COMMIT carrying it is done.
  const other = new SQLite(filename, { readonly: true });
  const committed = (id: number) =>
    other.prepare('SELECT count(*) AS n FROM t WHERE id = ?').get(id) as { n: number };
  return {
    db,
    batches,
    filename,
    visible: (id: number) => committed(id).n === 1,
    close: async () => {
      other.close();
      await db.destroy();
    },
  };
}

describe('GroupCommitSqliteDialect', () => {
  test('concurrent transactions share commits, each acknowledged only once durable', async () => {
    const h = open({ maxBatchMs: 10_000 });
    const seenAtAck: boolean[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h.db
          .transaction()
          .execute(async (trx) => {
            await trx
              .insertInto('t')
              .values({ id: i, v: `a${i}` })
              .execute();
            await trx
              .updateTable('t')
              .set({ v: `b${i}` })
              .where('id', '=', i)
              .execute();
          })
          .then(() => seenAtAck.push(h.visible(i))),
      ),
    );
    assert.equal(seenAtAck.length, 50);
    assert.ok(seenAtAck.every(Boolean), 'a transaction was acknowledged before its commit');
    assert.equal(
      h.batches.reduce((a, b) => a + b, 0),
      50,
    );
    assert.ok(h.batches.length < 10, `expected few physical commits, got ${h.batches.length}`);
    const filename = h.filename;
    await h.close();
    const reopened = new SQLite(filename);
    const rows = reopened.prepare('SELECT id, v FROM t ORDER BY id').all() as { id: number; v: string }[];
    reopened.close();
    assert.deepEqual(
      rows,
      Array.from({ length: 50 }, (_, i) => ({ id: i, v: `b${i}` })),
    );
  });

  test('a failing transaction rolls back only its own work; the others of its batch commit', async () => {
    // NOTE: no age bound here (a loaded machine could split the batch): one batch is asserted.
    const h = open({ maxBatchMs: 10_000 });
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((id) =>
        h.db.transaction().execute(async (trx) => {
          await trx.insertInto('t').values({ id, v: 'x' }).execute();
          await trx
            .insertInto('t')
            .values({ id: id + 100, v: 'y' })
            .execute();
          if (id === 2) throw new Error('boom');
          // a statement failing inside a transaction that goes on: only that statement is undone
          if (id === 3) await assert.rejects(trx.insertInto('t').values({ id: 1, v: 'dup' }).execute());
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.deepEqual(h.batches, [3]);
    const ids = (await h.db.selectFrom('t').select('id').orderBy('id').execute()).map((r) => r.id);
    assert.deepEqual(ids, [1, 3, 4, 101, 103, 104]);
    await h.close();
  });

  test('autocommit writes join the batch and answer after its commit; reads wait for pending work', async () => {
    const h = open({ maxBatchMs: 10_000 });
    const order: string[] = [];
    const writes = [10, 11, 12].map((id) =>
      h.db
        .insertInto('t')
        .values({ id, v: 'w' })
        .execute()
        .then(() => order.push(`write ${id} ${h.visible(id)}`)),
    );
    const read = h.db
      .selectFrom('t')
      .selectAll()
      .execute()
      .then((rows) => order.push(`read ${rows.length} after ${h.batches.length} commit(s)`));
    await Promise.all([...writes, read]);
    assert.deepEqual(h.batches, [3]);
    assert.deepEqual(order.sort(), [
      'read 3 after 1 commit(s)',
      'write 10 true',
      'write 11 true',
      'write 12 true',
    ]);
    // nothing pending: a read-only transaction and a read neither wait nor commit
    await h.db.transaction().execute((trx) => trx.selectFrom('t').selectAll().execute());
    await h.db.selectFrom('t').selectAll().execute();
    assert.deepEqual(h.batches, [3]);
    await h.close();
  });

  test('a batch is bounded: at most maxBatchTransactions commits each', async () => {
    const h = open({ maxBatchTransactions: 5 });
    await Promise.all(
      Array.from({ length: 23 }, (_, i) =>
        h.db.transaction().execute((trx) => trx.insertInto('t').values({ id: i, v: 'x' }).execute()),
      ),
    );
    assert.ok(
      h.batches.every((n) => n <= 5),
      JSON.stringify(h.batches),
    );
    assert.equal(
      h.batches.reduce((a, b) => a + b, 0),
      23,
    );
    assert.ok(h.batches.length >= 5);
    await h.close();
  });

  test('a transaction that holds the connection delays only those behind it; age bounds the batch', async () => {
    const h = open({ maxBatchMs: 5 });
    const acked: string[] = [];
    const slow = h.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, v: 'slow' }).execute();
      await new Promise((r) => setTimeout(r, 30));
      acked.push(`slow done, 2 visible: ${h.visible(2)}`);
    });
    const fast = h.db
      .transaction()
      .execute((trx) => trx.insertInto('t').values({ id: 2, v: 'fast' }).execute())
      .then(() => acked.push('fast acked'));
    await Promise.all([slow, fast]);
    assert.deepEqual(acked, ['slow done, 2 visible: false', 'fast acked']);
    assert.ok(h.visible(1) && h.visible(2));
    await h.close();
  });

  test('with walSyncPath: acknowledged after the WAL sync; batches committed meanwhile share the next', async () => {
    const h = open({ walSyncPath: (f) => `${f}-wal` });
    const acks: number[] = [];
    const first = Array.from({ length: 10 }, (_, i) =>
      h.db
        .transaction()
        .execute((trx) => trx.insertInto('t').values({ id: i, v: 'x' }).execute())
        .then(() => acks.push(i)),
    );
    // NOTE: right after the first COMMIT its rows are visible, but the sync (open, fdatasync,
    // close: three trips through the thread pool) has not come back: nothing acknowledged yet.
    while (h.batches.length === 0) await new Promise((r) => setImmediate(r));
    assert.equal(h.visible(0), true);
    assert.equal(acks.length, 0);
    const read = h.db
      .selectFrom('t')
      .select('id')
      .execute()
      .then((rows) => acks.length >= 10 && rows.length >= 10);
    const second = Array.from({ length: 10 }, (_, i) =>
      h.db
        .insertInto('t')
        .values({ id: 100 + i, v: 'y' })
        .execute(),
    );
    await Promise.all([...first, ...second]);
    assert.equal(await read, true, 'a read showed rows before they were durable');
    assert.equal(
      h.batches.reduce((a, b) => a + b, 0),
      20,
    );
    const filename = h.filename;
    await h.close();
    const reopened = new SQLite(filename);
    assert.deepEqual(reopened.prepare('SELECT count(*) AS n FROM t').get(), { n: 20 });
    reopened.close();
  });

  test('with walSyncPath: commits made while a sync is in flight wait for it and share one COMMIT', async () => {
    const h = open({ walSyncPath: (f) => `${f}-wal` });
    // NOTE: the thread pool (4 threads) is kept busy, so the first batch's WAL sync stays in
    // flight for a while, whatever the disk.
    const busy = Array.from(
      { length: 4 },
      () => new Promise((r) => pbkdf2('kindling', 'salt', 400_000, 32, 'sha256', r)),
    );
    const first = h.db.insertInto('t').values({ id: 0, v: 'first' }).execute();
    while (h.batches.length === 0) await new Promise((r) => setImmediate(r));
    const later: Promise<unknown>[] = [];
    for (let i = 1; i <= 5; i++) {
      // Each in its own turn of the event loop: without waiting, each would be a batch of its own.
      await new Promise((r) => setImmediate(r));
      later.push(
        h.db.transaction().execute((trx) => trx.insertInto('t').values({ id: i, v: 'later' }).execute()),
      );
    }
    assert.equal(h.visible(5), false, 'committed while the first sync was in flight');
    await Promise.all([first, ...later, ...busy]);
    assert.deepEqual(h.batches, [1, 5]);
    assert.equal(h.visible(5), true);
    await h.close();
  });

  test('with walSyncPath: a failed sync fails the batch, nothing is acknowledged', async () => {
    const h = open({ walSyncPath: () => join(dir, 'missing', 'x-wal') });
    const results = await Promise.allSettled([
      h.db.transaction().execute((trx) => trx.insertInto('t').values({ id: 1, v: 'x' }).execute()),
      h.db.insertInto('t').values({ id: 2, v: 'x' }).execute(),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.match(
      String((results[0] as PromiseRejectedResult).reason),
      /WAL sync of this commit group failed/,
    );
    await h.close();
  });

  test('two connections to one file in one process take turns without blocking the event loop', async () => {
    const h = open();
    const second = new Kysely<Db>({
      dialect: new GroupCommitSqliteDialect({
        database: openSqlite(SQLite, { filename: h.filename, synchronous: 'FULL' }),
      }),
    });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? second : h.db)
          .transaction()
          .execute((trx) => trx.insertInto('t').values({ id: i, v: 'x' }).execute()),
      ),
    );
    // NOTE: with SQLite's own busy wait, each turn would block the loop for busy_timeout (5 s).
    assert.ok(performance.now() - started < 4000, `took ${performance.now() - started} ms`);
    assert.deepEqual(
      await second
        .selectFrom('t')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .execute(),
      [{ n: 20 }],
    );
    await second.destroy();
    await h.close();
  });

  test('a failed COMMIT fails every transaction of its batch, and the next batch works', async () => {
    const filename = join(dir, 'fk.sqlite');
    const database = openSqlite(SQLite, { filename, synchronous: 'FULL' });
    database.exec(
      'CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)',
    );
    database.pragma('foreign_keys = ON');
    const db = new Kysely<{ p: { id: number }; c: { id: number; p: number } }>({
      dialect: new GroupCommitSqliteDialect({ database }),
    });
    // NOTE: a deferred foreign key is checked only at the physical COMMIT, which then fails.
    const results = await Promise.allSettled([
      db.transaction().execute((trx) => trx.insertInto('p').values({ id: 1 }).execute()),
      db.transaction().execute((trx) => trx.insertInto('c').values({ id: 1, p: 99 }).execute()),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(database.inTransaction, false);
    await db.transaction().execute((trx) => trx.insertInto('p').values({ id: 2 }).execute());
    assert.deepEqual(await db.selectFrom('p').select('id').execute(), [{ id: 2 }]);
    await sql`PRAGMA foreign_keys = OFF`.execute(db);
    await db.destroy();
  });
});
