import assert from 'node:assert/strict';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { allRows } from '../../src/db/sqlite-rows.js';

function database(): SQLite.Database {
  const db = new SQLite(':memory:');
  db.exec(`create table t (id integer primary key, name text, size integer, ratio real, data blob,
    note text)`);
  const insert = db.prepare('insert into t (name, size, ratio, data, note) values (?, ?, ?, ?, ?)');
  insert.run('a', 1, 0.5, Buffer.from([1, 2]), null);
  insert.run('b', 2 ** 40, -1.25, null, 'é ✓');
  return db;
}

/** allRows must answer exactly what better-sqlite3's own `all` does: values, keys, key order. */
function assertSameAsAll(stmt: SQLite.Statement, parameters: unknown[] = []): void {
  const ours = allRows<Record<string, unknown>>(stmt, parameters);
  const theirs = stmt.all(...parameters) as Record<string, unknown>[];
  assert.deepEqual(ours, theirs);
  assert.deepEqual(
    ours.map((r) => Object.keys(r)),
    theirs.map((r) => Object.keys(r)),
  );
}

test('rows of every column type, with parameters, and no rows at all', () => {
  const db = database();
  assertSameAsAll(db.prepare('select * from t order by id'));
  assertSameAsAll(db.prepare('select name, size * 2 as twice from t where size > ?'), [1]);
  assertSameAsAll(db.prepare('select * from t where id = ?'), [99]);
  assert.deepEqual(allRows(db.prepare('select name from t where id = ?'), [2]), [{ name: 'b' }]);
});

test('duplicate column names: the later one wins, in the first one’s place, as better-sqlite3 does', () => {
  const db = database();
  const stmt = db.prepare('select name, size, note as name from t order by id');
  assertSameAsAll(stmt);
  assert.deepEqual(allRows(stmt, []), [
    { name: null, size: 1 },
    { name: 'é ✓', size: 2 ** 40 },
  ]);
});

test('the statement stays in object mode, and a `*` widened by a schema change gets its new column', () => {
  const db = database();
  const stmt = db.prepare('select * from t order by id');
  allRows(stmt, []);
  assert.equal(typeof stmt.get(), 'object');
  assert.ok(!Array.isArray(stmt.get()), 'raw mode was turned off again');
  db.exec("alter table t add column extra text default 'x'");
  const rows = allRows<Record<string, unknown>>(stmt, []);
  assert.equal(rows[0]!.extra, 'x');
  assertSameAsAll(stmt);
});

test('a statement that fails leaves the statement in object mode', () => {
  const db = database();
  db.function('boom', () => {
    throw new Error('boom');
  });
  const stmt = db.prepare('select case when ? then boom() else 1 end as b from t');
  assert.throws(() => allRows(stmt, [1]), /boom/);
  assert.deepEqual(stmt.all(0), [{ b: 1 }, { b: 1 }]);
});
