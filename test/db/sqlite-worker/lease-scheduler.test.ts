import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseScheduler } from '../../../src/db/sqlite-worker/lease-scheduler.js';

interface Work {
  lease: number;
  sql: string;
}

/** A scheduler over a fake connection whose transaction state follows begin/commit/rollback. */
function setup() {
  const ran: string[] = [];
  let inTx = false;
  const s = new LeaseScheduler<Work>(
    (w) => {
      ran.push(`${w.lease}:${w.sql}`);
      if (w.sql === 'begin') inTx = true;
      if (w.sql === 'commit' || w.sql === 'rollback') inTx = false;
      if (w.sql === 'fail') throw new Error('boom');
    },
    () => inTx,
  );
  return { s, ran, setTx: (v: boolean) => (inTx = v) };
}

describe('LeaseScheduler', () => {
  test('runs work at once while no transaction is open', () => {
    const { s, ran } = setup();
    s.submit({ lease: 1, sql: 'a' });
    s.submit({ lease: 2, sql: 'b' });
    assert.deepEqual(ran, ['1:a', '2:b']);
    assert.equal(s.owner, undefined);
  });

  test("holds back other leases' work until the transaction ends, then runs it in order", () => {
    const { s, ran } = setup();
    s.submit({ lease: 1, sql: 'begin' });
    assert.equal(s.owner, 1);
    s.submit({ lease: 2, sql: 'x' });
    s.submit({ lease: 3, sql: 'y' });
    s.submit({ lease: 1, sql: 'insert' });
    assert.deepEqual(ran, ['1:begin', '1:insert']);
    assert.equal(s.waiting, 2);
    s.submit({ lease: 1, sql: 'commit' });
    assert.deepEqual(ran, ['1:begin', '1:insert', '1:commit', '2:x', '3:y']);
    assert.equal(s.waiting, 0);
    assert.equal(s.owner, undefined);
  });

  test('a queued begin takes the connection; work queued after it waits for that transaction', () => {
    const { s, ran } = setup();
    s.submit({ lease: 1, sql: 'begin' });
    s.submit({ lease: 2, sql: 'begin' });
    s.submit({ lease: 3, sql: 'read' });
    s.submit({ lease: 1, sql: 'rollback' });
    assert.deepEqual(ran, ['1:begin', '1:rollback', '2:begin']);
    assert.equal(s.owner, 2);
    s.submit({ lease: 2, sql: 'commit' });
    assert.deepEqual(ran.slice(3), ['2:commit', '3:read']);
  });

  test('ownership follows the connection even when a statement throws', () => {
    const { s, ran, setTx } = setup();
    s.submit({ lease: 1, sql: 'begin' });
    s.submit({ lease: 2, sql: 'queued' });
    setTx(false); // e.g. SQLite rolled the transaction back on its own
    assert.throws(() => s.submit({ lease: 1, sql: 'fail' }), /boom/);
    assert.equal(s.owner, undefined);
    assert.equal(s.waiting, 0);
    assert.deepEqual(ran, ['1:begin', '1:fail', '2:queued']);
  });

  test('release rolls back a transaction its lease left open and frees the connection', () => {
    const { s, ran, setTx } = setup();
    s.submit({ lease: 1, sql: 'begin' });
    s.submit({ lease: 2, sql: 'x' });
    let rolledBack = false;
    s.release(2, () => assert.fail('lease 2 owns nothing'));
    s.release(1, () => {
      rolledBack = true;
      setTx(false);
    });
    assert.ok(rolledBack);
    assert.equal(s.owner, undefined);
    assert.deepEqual(ran, ['1:begin', '2:x']);
  });
});
