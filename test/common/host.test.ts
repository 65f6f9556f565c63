import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidVolume } from '../../src/common/errors.js';
import { appendHost, DEFAULT_POOL_NAME, extractHost } from '../../src/common/host.js';

describe('extractHost', () => {
  const full = 'HostA@BackendB#PoolC';

  test('host level drops backend and pool', () => {
    assert.equal(extractHost(full, 'host'), 'HostA');
    assert.equal(extractHost('HostA@BackendB', 'host'), 'HostA');
    assert.equal(extractHost('HostA', 'host'), 'HostA');
  });

  test('backend level (the default) drops only the pool', () => {
    assert.equal(extractHost(full), 'HostA@BackendB');
    assert.equal(extractHost(full, 'backend'), 'HostA@BackendB');
    assert.equal(extractHost('HostA@BackendB', 'backend'), 'HostA@BackendB');
  });

  test('pool level gives the pool, null without one, _pool0 when asked for a default', () => {
    assert.equal(extractHost(full, 'pool'), 'PoolC');
    assert.equal(extractHost('HostX@BackendY', 'pool'), null);
    assert.equal(extractHost('HostX@BackendY', 'pool', true), '_pool0');
    assert.equal(DEFAULT_POOL_NAME, '_pool0');
  });

  test('a host with two # has no recognisable pool', () => {
    assert.equal(extractHost('h@b#p#q', 'pool'), null);
    assert.equal(extractHost('h@b#p#q', 'backend'), 'h@b');
  });

  test('a volume without host → InvalidVolume "volume is not assigned to a host"', () => {
    for (const missing of [null, undefined]) {
      assert.throws(
        () => extractHost(missing, 'host'),
        (e: unknown) =>
          e instanceof InvalidVolume && e.message === 'Invalid volume: volume is not assigned to a host',
      );
    }
  });
});

describe('appendHost', () => {
  test('joins host and pool with #', () => {
    assert.equal(appendHost('h@b', 'p'), 'h@b#p');
  });

  test('leaves the host alone when either part is missing', () => {
    assert.equal(appendHost('h@b', null), 'h@b');
    assert.equal(appendHost('h@b', ''), 'h@b');
    assert.equal(appendHost(null, 'p'), null);
    assert.equal(appendHost('', 'p'), '');
  });
});
