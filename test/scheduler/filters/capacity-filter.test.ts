import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CapacityFilter, requestedSize } from '../../../src/scheduler/filters/capacity-filter.js';
import { pool, props } from '../fixtures.js';

const filter = new CapacityFilter();
const THICK = { 'provisioning:type': 'thick' };

describe('CapacityFilter: short cuts', () => {
  test('the backend the volume already lives on passes even when full (retype)', () => {
    const full = pool({ free: 0 });
    assert.equal(
      filter.backendPasses(full, props(10, undefined, { vol_exists_on: 'host1@lvm#pool1' })),
      true,
    );
    assert.equal(
      filter.backendPasses(full, props(10, undefined, { vol_exists_on: 'other@lvm#pool1' })),
      false,
    );
  });

  test('a zero-size request (manage) passes anywhere', () => {
    assert.equal(filter.backendPasses(pool({ free: 0, total: 0 }), props(0)), true);
  });

  test('a pool that reported no free capacity at all → filtered out', () => {
    assert.equal(filter.backendPasses(pool({ free: null }), props(1)), false);
  });

  test('infinite or unknown free capacity → passes (a reschedule catches a wrong guess)', () => {
    assert.equal(filter.backendPasses(pool({ free: 'infinite', total: 0 }), props(1000)), true);
    assert.equal(filter.backendPasses(pool({ free: 'unknown', reserved: 50 }), props(1000)), true);
  });

  test('infinite or unknown total passes only without reserved space', () => {
    assert.equal(filter.backendPasses(pool({ total: 'infinite', free: 10 }), props(1000)), true);
    assert.equal(filter.backendPasses(pool({ total: 'unknown', free: 10 }), props(1)), true);
    assert.equal(filter.backendPasses(pool({ total: 'infinite', free: 10, reserved: 5 }), props(1)), false);
    assert.equal(filter.backendPasses(pool({ total: 'unknown', free: 10, reserved: 5 }), props(1)), false);
  });

  test('a pool with no total capacity → filtered out', () => {
    assert.equal(filter.backendPasses(pool({ total: 0, free: 10 }), props(1)), false);
    assert.equal(filter.backendPasses(pool({ total: -5, free: 10 }), props(1)), false);
  });
});

describe('CapacityFilter: thick provisioning', () => {
  test('a pool without thin support needs real free space', () => {
    assert.equal(filter.backendPasses(pool({ total: 100, free: 10 }), props(10)), true);
    assert.equal(filter.backendPasses(pool({ total: 100, free: 10 }), props(11)), false);
  });

  test('free space is also capped by total minus provisioned', () => {
    // reported free 50 but 80 of 100 already provisioned → only 20 usable
    assert.equal(filter.backendPasses(pool({ total: 100, free: 50, provisioned: 80 }), props(20)), true);
    assert.equal(filter.backendPasses(pool({ total: 100, free: 50, provisioned: 80 }), props(21)), false);
  });

  test('reserved percentage is taken off the total (floored)', () => {
    // total 100, reserved 10% → 90 available; 25 provisioned → 65 usable
    const p = pool({ total: 100, free: 100, provisioned: 25, reserved: 10 });
    assert.equal(filter.backendPasses(p, props(65)), true);
    assert.equal(filter.backendPasses(p, props(66)), false);
  });

  test('thick type on a thin-capable pool ignores over-subscription', () => {
    const p = pool({ total: 100, free: 10, provisioned: 90, thin: true, mosr: 20 });
    assert.equal(filter.backendPasses(p, props(50)), true);
    assert.equal(filter.backendPasses(p, props(50, THICK)), false);
    assert.equal(filter.backendPasses(p, props(10, THICK)), true);
  });
});

describe('CapacityFilter: thin provisioning', () => {
  test('thin type on a thin pool may use total × ratio minus provisioned', () => {
    // total 100 × mosr 2 = 200; 150 provisioned → 50 virtual free, though only 5 really free
    const p = pool({ total: 100, free: 5, provisioned: 150, thin: true, mosr: 2 });
    assert.equal(filter.backendPasses(p, props(50)), true);
  });

  test('thin type on a backend over its over-subscription ratio → filtered out', () => {
    // total_available = 100 × 2 = 200; (395 + 10) / 200 = 2.03 > 2
    const p = pool({ total: 100, free: 100, provisioned: 395, thin: true, mosr: 2 });
    assert.equal(filter.backendPasses(p, props(10)), false);
  });

  test('projected provisioned ratio above the ratio → filtered out even with free space reported', () => {
    // mosr 1: total_available 100; (95 + 10) / 100 = 1.05 > 1
    const p = pool({ total: 100, free: 100, provisioned: 95, thin: true, mosr: 1 });
    assert.equal(filter.backendPasses(p, props(10)), false);
    assert.equal(filter.backendPasses(p, props(5)), true);
  });

  test('ratio fine but not enough virtual free space → filtered out', () => {
    // total_available 200, provisioned 150 → 50 virtual free; 60 → ratio 1.05 ≤ 2 but 50 < 60
    const p = pool({ total: 100, free: 100, provisioned: 150, thin: true, mosr: 2 });
    assert.equal(filter.backendPasses(p, props(60)), false);
  });

  test('reserved space shrinks the over-subscribed total', () => {
    // total 100, reserved 20% → 80 × mosr 2 = 160; 100 provisioned → 60 virtual free
    const p = pool({ total: 100, free: 100, provisioned: 100, reserved: 20, thin: true, mosr: 2 });
    assert.equal(filter.backendPasses(p, props(60)), true);
    assert.equal(filter.backendPasses(p, props(61)), false);
  });

  test('a thin pool with a ratio below 1 → filtered out for thin types', () => {
    const p = pool({ total: 100, free: 100, thin: true, mosr: 0.5 });
    assert.equal(filter.backendPasses(p, props(1)), false);
    // a thick type does not look at the ratio
    assert.equal(filter.backendPasses(p, props(1, THICK)), true);
  });

  test('thin type on a pool without thin support uses the thick formula', () => {
    const p = pool({ total: 100, free: 10, provisioned: 0, thin: false, mosr: 20 });
    assert.equal(filter.backendPasses(p, props(11)), false);
    assert.equal(filter.backendPasses(p, props(10)), true);
  });
});

describe('CapacityFilter: requested size', () => {
  test('an extend asks for new_size - size', () => {
    assert.equal(requestedSize({ size: 10, new_size: 15 }), 5);
    const p = pool({ total: 100, free: 5 });
    assert.equal(filter.backendPasses(p, props(10, undefined, { new_size: 15 })), true);
    assert.equal(filter.backendPasses(p, props(10, undefined, { new_size: 16 })), false);
  });

  test('no size at all (get_pools by type) counts as nothing to place', () => {
    assert.equal(requestedSize({}), 0);
    assert.equal(filter.backendPasses(pool({ free: 0 }), {}), true);
  });
});
