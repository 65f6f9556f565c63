import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NamedMutex } from '../../src/coordination/named-mutex.js';

describe('NamedMutex', () => {
  test('a free name is taken at once; a held one is refused without waiting', async () => {
    const m = new NamedMutex();
    assert.equal(await m.acquire('a', 0), true);
    assert.equal(await m.acquire('a', 0), false);
    assert.equal(await m.acquire('b', 0), true, 'names are independent');
    assert.equal(m.isHeld('a'), true);
    m.release('a');
    assert.equal(m.isHeld('a'), false);
    assert.equal(await m.acquire('a', 0), true);
  });

  test('waiters get the name in arrival order', async () => {
    const m = new NamedMutex();
    await m.acquire('x', 0);
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) =>
      m.acquire('x', Infinity).then((ok) => {
        assert.equal(ok, true);
        order.push(i);
        m.release('x');
      }),
    );
    m.release('x');
    await Promise.all(waits);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(m.isHeld('x'), false);
  });

  test('a waiter gives up at its deadline and is skipped afterwards', async () => {
    const m = new NamedMutex();
    await m.acquire('t', 0);
    const started = Date.now();
    const late = m.acquire('t', Date.now() + 100);
    const patient = m.acquire('t', Infinity);
    assert.equal(await late, false);
    const waited = Date.now() - started;
    assert.ok(waited >= 90 && waited < 1000, `gave up after ${waited} ms`);
    m.release('t');
    assert.equal(await patient, true, 'the lock went to the waiter still in the queue');
    m.release('t');
    assert.equal(m.isHeld('t'), false);
  });

  test('releasing a name that is not held is a bug', () => {
    assert.throws(() => new NamedMutex().release('nope'), /not held/);
  });
});
