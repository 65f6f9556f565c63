import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  calculateCapacityFactors,
  calculateMaxOverSubscriptionRatio,
  calculateVirtualFreeCapacity,
  isThinRequest,
  round2,
} from '../../src/scheduler/capacity.js';

const base = {
  total: 100,
  free: 100,
  provisioned: 0,
  thinSupport: false,
  maxOverSubscriptionRatio: 1,
  reservedPercentage: 0,
  thin: true,
};

describe('calculateCapacityFactors', () => {
  test('thin request on a thin pool: total × mosr minus provisioned', () => {
    const f = calculateCapacityFactors({
      ...base,
      free: 10,
      provisioned: 150,
      thinSupport: true,
      maxOverSubscriptionRatio: 2,
    });
    assert.equal(f.total_available_capacity, 200);
    assert.equal(f.virtual_free_capacity, 50);
    assert.equal(f.provisioned_type, 'thin');
    assert.equal(f.max_over_subscription_ratio, 2);
    assert.equal(f.provisioned_ratio, 0.75);
  });

  test('thick: virtual free is the smaller of reported free and total - provisioned', () => {
    const f = calculateCapacityFactors({ ...base, free: 30, provisioned: 50 });
    assert.equal(f.virtual_free_capacity, 30);
    assert.equal(f.provisioned_type, 'thick');
    assert.equal(f.max_over_subscription_ratio, null);
    const g = calculateCapacityFactors({ ...base, free: 90, provisioned: 50 });
    assert.equal(g.virtual_free_capacity, 50);
  });

  test('a thick request on a thin-capable pool uses the thick formula', () => {
    const f = calculateCapacityFactors({
      ...base,
      free: 20,
      provisioned: 150,
      thinSupport: true,
      maxOverSubscriptionRatio: 2,
      thin: false,
    });
    assert.equal(f.provisioned_type, 'thick');
    assert.equal(f.virtual_free_capacity, -50);
  });

  test('reserved space is floor(total × percent) and comes off before over-subscription', () => {
    const f = calculateCapacityFactors({
      ...base,
      total: 99,
      free: 99,
      reservedPercentage: 10,
      thinSupport: true,
      maxOverSubscriptionRatio: 2,
    });
    assert.equal(f.reserved_capacity, 9);
    assert.equal(f.total_reserved_available_capacity, 90);
    assert.equal(f.total_available_capacity, 180);
    assert.equal(calculateVirtualFreeCapacity({ ...base, total: 99, free: 99, reservedPercentage: 10 }), 90);
  });

  test('zero available capacity gives zero ratios instead of dividing by zero', () => {
    const f = calculateCapacityFactors({ ...base, reservedPercentage: 100 });
    assert.equal(f.provisioned_ratio, 0);
    assert.equal(f.free_percent, 0);
  });

  test('results are rounded to two decimals', () => {
    assert.equal(
      calculateVirtualFreeCapacity({
        ...base,
        total: 10,
        free: 10,
        thinSupport: true,
        maxOverSubscriptionRatio: 1 / 3,
      }),
      3.33,
    );
  });
});

describe('round2 (Python round(x, 2))', () => {
  test('ties of exactly representable values go to even', () => {
    assert.equal(round2(0.125), 0.12);
    assert.equal(round2(0.375), 0.38);
    assert.equal(round2(-0.125), -0.12);
  });

  test('non-ties round to nearest of the binary value', () => {
    assert.equal(round2(2.675), 2.67);
    assert.equal(round2(1.005), 1);
    assert.equal(round2(9.996), 10);
    assert.equal(round2(Infinity), Infinity);
  });

  test('agrees with rounding the exact decimal digits, near ties and far from them', () => {
    // The reference: the exact value's digits decide whether it is a tie; ties go to even.
    const reference = (x: number) => {
      const exact = Math.abs(x).toFixed(30);
      if (!/\.\d\d50*$/.test(exact)) return Number(x.toFixed(2));
      const lower = Math.trunc(Math.abs(x) * 100);
      return (Math.sign(x) * (lower % 2 === 0 ? lower : lower + 1)) / 100;
    };
    const values: number[] = [];
    for (let k = -5000; k <= 5000; k++)
      values.push(k / 1000, k / 200, k / 8, (k + 0.5) / 100, k * 12.345 + 0.005);
    for (let i = 0; i < 20000; i++) values.push((Math.random() - 0.5) * 10 ** (i % 12));
    for (const x of values) assert.equal(round2(x), reference(x), `round2(${x})`);
  });
});

describe('calculateMaxOverSubscriptionRatio', () => {
  const thin = { thin_provisioning_support: true, total_capacity_gb: 100, free_capacity_gb: 60 };

  test('no thin support → 1.0 whatever is configured', () => {
    assert.equal(calculateMaxOverSubscriptionRatio({ max_over_subscription_ratio: 5 }, '20.0'), 1);
  });

  test('infinite or unknown total/free → 1.0', () => {
    assert.equal(calculateMaxOverSubscriptionRatio({ ...thin, total_capacity_gb: 'infinite' }, '20.0'), 1);
    assert.equal(calculateMaxOverSubscriptionRatio({ ...thin, free_capacity_gb: 'unknown' }, '20.0'), 1);
  });

  test('reported ratio wins over the configured one; strings are parsed as floats', () => {
    assert.equal(calculateMaxOverSubscriptionRatio({ ...thin, max_over_subscription_ratio: 3 }, '20.0'), 3);
    assert.equal(
      calculateMaxOverSubscriptionRatio({ ...thin, max_over_subscription_ratio: '1.5' }, '20.0'),
      1.5,
    );
  });

  test('missing or zero reported ratio → configured default', () => {
    assert.equal(calculateMaxOverSubscriptionRatio(thin, '20.0'), 20);
    assert.equal(calculateMaxOverSubscriptionRatio({ ...thin, max_over_subscription_ratio: 0 }, '7'), 7);
  });

  test('auto with nothing provisioned → 20', () => {
    assert.equal(
      calculateMaxOverSubscriptionRatio({ ...thin, max_over_subscription_ratio: 'auto' }, '20.0'),
      20,
    );
  });

  test('auto → 1 + provisioned / (used + 1), provisioned defaulting to allocated', () => {
    // used = 100 - 60 = 40; provisioned 82 → 1 + 82/41 = 3
    assert.equal(
      calculateMaxOverSubscriptionRatio(
        { ...thin, max_over_subscription_ratio: 'auto', provisioned_capacity_gb: 82 },
        '20.0',
      ),
      3,
    );
    assert.equal(calculateMaxOverSubscriptionRatio({ ...thin, allocated_capacity_gb: 41 }, 'auto'), 2);
  });

  test('an unparsable ratio falls back to 1.0', () => {
    assert.equal(
      calculateMaxOverSubscriptionRatio({ ...thin, max_over_subscription_ratio: 'lots' }, '20.0'),
      1,
    );
  });
});

describe('isThinRequest', () => {
  test('only provisioning:type thick makes a request thick', () => {
    assert.equal(isThinRequest({ extra_specs: { 'provisioning:type': 'thick' } }), false);
    assert.equal(isThinRequest({ extra_specs: { 'provisioning:type': 'thin' } }), true);
    assert.equal(isThinRequest({ extra_specs: {} }), true);
    assert.equal(isThinRequest({}), true);
    assert.equal(isThinRequest(null), true);
  });
});
