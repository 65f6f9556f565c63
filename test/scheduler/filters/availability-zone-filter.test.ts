import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AvailabilityZoneFilter } from '../../../src/scheduler/filters/availability-zone-filter.js';
import { pool, requestSpec } from '../fixtures.js';
import type { RequestSpec } from '../../../src/scheduler/types.js';

const filter = new AvailabilityZoneFilter();
const inAz1 = pool({ az: 'az1' });
const inAz2 = pool({ az: 'az2' });
const passes = (p: typeof inAz1, spec: RequestSpec): boolean =>
  filter.backendPasses(p, { request_spec: spec });

describe('AvailabilityZoneFilter', () => {
  test('runs once per request', () => {
    assert.equal(filter.runFilterOncePerRequest, true);
  });

  test('availability_zones list: the pool service AZ must be in it', () => {
    const spec = requestSpec(1, { availability_zones: ['az1', 'az3'] });
    assert.equal(passes(inAz1, spec), true);
    assert.equal(passes(inAz2, spec), false);
  });

  test('the list wins over the volume availability_zone', () => {
    const spec = requestSpec(1, {
      availability_zones: ['az2'],
      volume_properties: { size: 1, availability_zone: 'az1' },
    });
    assert.equal(passes(inAz1, spec), false);
    assert.equal(passes(inAz2, spec), true);
  });

  test('without a list, the requested availability_zone must match', () => {
    const spec = requestSpec(1, {
      availability_zones: [],
      volume_properties: { size: 1, availability_zone: 'az2' },
    });
    assert.equal(passes(inAz1, spec), false);
    assert.equal(passes(inAz2, spec), true);
  });

  test('resource_properties is read when present', () => {
    const spec = requestSpec(1, { resource_properties: { size: 1, availability_zone: 'az1' } });
    assert.equal(passes(inAz1, spec), true);
    assert.equal(passes(inAz2, spec), false);
  });

  test('no AZ asked for: every pool passes', () => {
    assert.equal(passes(inAz1, requestSpec(1)), true);
    assert.equal(filter.backendPasses(inAz2, {}), true);
  });
});
