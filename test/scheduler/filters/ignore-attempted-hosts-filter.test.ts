import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreAttemptedHostsFilter } from '../../../src/scheduler/filters/ignore-attempted-hosts-filter.js';
import { pool } from '../fixtures.js';

const filter = new IgnoreAttemptedHostsFilter();

describe('IgnoreAttemptedHostsFilter', () => {
  test('no retry info (rescheduling disabled) → passes', () => {
    assert.equal(filter.backendPasses(pool(), {}), true);
  });

  test('a pool already tried → filtered out; others pass', () => {
    const retry = { num_attempts: 2, backends: ['host1@lvm#pool1'], hosts: ['host1@lvm#pool1'] };
    assert.equal(filter.backendPasses(pool({ host: 'host1@lvm' }), { retry }), false);
    assert.equal(filter.backendPasses(pool({ host: 'host2@lvm' }), { retry }), true);
  });
});
