import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerHostFilterNotFound } from '../../../src/common/errors.js';
import {
  availableFilterNames,
  chooseFilters,
  DEFAULT_FILTERS,
  getFilteredObjects,
} from '../../../src/scheduler/filters/index.js';
import { pool, props } from '../fixtures.js';

describe('filter registry', () => {
  test('Cinder class names resolve in the order given', () => {
    assert.deepEqual(
      chooseFilters(DEFAULT_FILTERS).map((f) => f.name),
      ['AvailabilityZoneFilter', 'CapacityFilter', 'CapabilitiesFilter'],
    );
    assert.ok(availableFilterNames().includes('IgnoreAttemptedHostsFilter'));
  });

  test('unknown names → SchedulerHostFilterNotFound listing them all', () => {
    assert.throws(
      () => chooseFilters(['CapacityFilter', 'RetryFilter', 'JsonFilterX']),
      (e: unknown) =>
        e instanceof SchedulerHostFilterNotFound &&
        e.message === 'Scheduler Host Filter RetryFilter, JsonFilterX could not be found.',
    );
  });

  test('each filter only sees the survivors of the previous ones', () => {
    const small = pool({ host: 'a@b', free: 1, az: 'az1' });
    const big = pool({ host: 'c@d', free: 100, az: 'az2' });
    const wrongAz = pool({ host: 'e@f', free: 100, az: 'az1' });
    const fp = {
      ...props(10),
      request_spec: { volume_id: 'v', volume_properties: { size: 10, availability_zone: 'az2' } },
    };
    assert.deepEqual(getFilteredObjects(chooseFilters(DEFAULT_FILTERS), [small, big, wrongAz], fp), [big]);
  });

  test('once-per-request filters are skipped for later resources of a request', () => {
    const p = pool({ az: 'az1' });
    const fp = {
      request_spec: { volume_id: 'v', volume_properties: { size: 1 }, availability_zones: ['az9'] },
    };
    const [az] = chooseFilters(['AvailabilityZoneFilter']);
    assert.deepEqual(getFilteredObjects([az!], [p], fp, 0), []);
    assert.deepEqual(getFilteredObjects([az!], [p], fp, 1), [p]);
  });
});
