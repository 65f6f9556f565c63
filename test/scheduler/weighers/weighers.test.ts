import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerHostWeigherNotFound } from '../../../src/common/errors.js';
import {
  AllocatedCapacityWeigher,
  CapacityWeigher,
  ChanceWeigher,
  chooseWeighers,
  getWeighedObjects,
  normalize,
} from '../../../src/scheduler/weighers/index.js';
import { pool, props } from '../fixtures.js';
import type { PoolState } from '../../../src/scheduler/pool-state.js';

const names = (weighed: { obj: PoolState }[]): string[] => weighed.map((w) => w.obj.host);

describe('normalize', () => {
  test('maps the range onto 0..1', () => {
    assert.deepEqual(normalize([10, 20, 15]), [0, 1, 0.5]);
  });

  test('all equal → all 0', () => {
    assert.deepEqual(normalize([7, 7, 7]), [0, 0, 0]);
    assert.deepEqual(normalize([]), []);
  });

  test('explicit bounds replace the list min/max', () => {
    assert.deepEqual(normalize([5], 0, 10), [0.5]);
  });
});

describe('CapacityWeigher', () => {
  const a = pool({ host: 'a@x', free: 10, total: 100, provisioned: 90 });
  const b = pool({ host: 'b@x', free: 60, total: 100, provisioned: 40 });
  const c = pool({ host: 'c@x', free: 30, total: 100, provisioned: 70 });

  test('spreads: the pool with the most free space comes first, weights 0..1', () => {
    const weighed = getWeighedObjects([new CapacityWeigher(1)], [a, b, c], props(1));
    assert.deepEqual(names(weighed), ['b@x#pool1', 'c@x#pool1', 'a@x#pool1']);
    assert.deepEqual(
      weighed.map((w) => w.weight),
      [1, 0.4, 0],
    );
  });

  test('a negative multiplier stacks: the fullest pool first', () => {
    const weighed = getWeighedObjects([new CapacityWeigher(-1)], [a, b, c], props(1));
    assert.deepEqual(names(weighed), ['a@x#pool1', 'c@x#pool1', 'b@x#pool1']);
  });

  test('thin pools weigh by virtual free capacity (total × ratio − provisioned)', () => {
    const thin = pool({ host: 'thin@x', total: 100, free: 5, provisioned: 150, thin: true, mosr: 3 });
    const thick = pool({ host: 'thick@x', total: 100, free: 90, provisioned: 10 });
    // thin: 300 - 150 = 150 virtual free beats thick's 90
    assert.deepEqual(names(getWeighedObjects([new CapacityWeigher()], [thick, thin], props(1))), [
      'thin@x#pool1',
      'thick@x#pool1',
    ]);
    // a thick type counts the thin pool by real free space (5)
    assert.deepEqual(
      names(
        getWeighedObjects([new CapacityWeigher()], [thin, thick], props(1, { 'provisioning:type': 'thick' })),
      ),
      ['thick@x#pool1', 'thin@x#pool1'],
    );
  });

  test('reserved space lowers the weight', () => {
    const reserved = pool({ host: 'r@x', total: 100, free: 100, reserved: 50 });
    const plain = pool({ host: 'p@x', total: 100, free: 60 });
    assert.deepEqual(names(getWeighedObjects([new CapacityWeigher()], [reserved, plain], props(1))), [
      'p@x#pool1',
      'r@x#pool1',
    ]);
  });

  test('infinite/unknown capacity weighs least when spreading', () => {
    const inf = pool({ host: 'inf@x', free: 'infinite' });
    const unk = pool({ host: 'unk@x', total: 'unknown', free: 5 });
    const weighed = getWeighedObjects([new CapacityWeigher(1)], [inf, unk, a], props(1));
    assert.equal(weighed[0]!.obj, a);
    assert.deepEqual(new CapacityWeigher(1).weighObjects([inf, unk, a], props(1)).weights, [-1, -1, 10]);
  });

  test('infinite capacity weighs most when stacking: replaced by max + spread × 100', () => {
    const inf = pool({ host: 'inf@x', free: 'infinite' });
    const result = new CapacityWeigher(-1).weighObjects([inf, a, b], props(1));
    // finite 10 and 60: spread 50 → infinite becomes 60 + 5000
    assert.deepEqual(result.weights, [5060, 10, 60]);
    assert.equal(result.maxval, 5060);
    assert.equal(result.minval, 10);
    const weighed = getWeighedObjects([new CapacityWeigher(-1)], [a, inf, b], props(1));
    assert.deepEqual(names(weighed), ['a@x#pool1', 'b@x#pool1', 'inf@x#pool1']);
  });

  test('stacking with one finite value: infinite becomes max + 10000', () => {
    const inf = pool({ host: 'inf@x', free: 'unknown' });
    assert.deepEqual(new CapacityWeigher(-1).weighObjects([inf, a], props(1)).weights, [10010, 10]);
  });

  test('stacking with only infinite pools: all equal', () => {
    const inf = pool({ host: 'inf@x', free: 'unknown' });
    const weighed = getWeighedObjects([new CapacityWeigher(-1)], [inf, inf], props(1));
    assert.deepEqual(
      weighed.map((w) => w.weight),
      [0, 0],
    );
  });
});

describe('other weighers and the handler', () => {
  test('AllocatedCapacityWeigher (default -1) prefers the least allocated pool', () => {
    const busy = pool({ host: 'busy@x', allocated: 500 });
    const idle = pool({ host: 'idle@x', allocated: 5 });
    assert.deepEqual(names(getWeighedObjects([new AllocatedCapacityWeigher()], [busy, idle], props(1))), [
      'idle@x#pool1',
      'busy@x#pool1',
    ]);
    assert.deepEqual(names(getWeighedObjects([new AllocatedCapacityWeigher(1)], [busy, idle], props(1))), [
      'busy@x#pool1',
      'idle@x#pool1',
    ]);
  });

  test('ChanceWeigher orders by its random numbers', () => {
    const seq = [0.2, 0.9, 0.5];
    const chance = new ChanceWeigher(() => seq.shift()!);
    const p1 = pool({ host: 'p1@x' });
    const p2 = pool({ host: 'p2@x' });
    const p3 = pool({ host: 'p3@x' });
    assert.deepEqual(names(getWeighedObjects([chance], [p1, p2, p3], props(1))), [
      'p2@x#pool1',
      'p3@x#pool1',
      'p1@x#pool1',
    ]);
  });

  test('weights of several weighers are normalised, multiplied and summed', () => {
    // capacity: free 10 → 0, free 60 → 1; allocated: 0 → 0, 100 → 1 (× -1)
    const freeButBusy = pool({ host: 'fb@x', free: 60, total: 100, allocated: 100, provisioned: 0 });
    const fullButIdle = pool({ host: 'fi@x', free: 10, total: 100, allocated: 0, provisioned: 0 });
    const weighers = [new CapacityWeigher(1), new AllocatedCapacityWeigher(-2)];
    const weighed = getWeighedObjects(weighers, [freeButBusy, fullButIdle], props(1));
    assert.deepEqual(names(weighed), ['fi@x#pool1', 'fb@x#pool1']);
    assert.deepEqual(
      weighed.map((w) => w.weight),
      [0, -1],
    );
  });

  test('ties keep the input order', () => {
    const p1 = pool({ host: 'p1@x' });
    const p2 = pool({ host: 'p2@x' });
    assert.deepEqual(names(getWeighedObjects([new CapacityWeigher()], [p2, p1], props(1))), [
      'p2@x#pool1',
      'p1@x#pool1',
    ]);
  });

  test('unknown weigher names → SchedulerHostWeigherNotFound', () => {
    const opts = { capacity_weight_multiplier: 1, allocated_capacity_weight_multiplier: -1 };
    assert.deepEqual(
      chooseWeighers(['CapacityWeigher', 'ChanceWeigher'], opts).map((w) => w.name),
      ['CapacityWeigher', 'ChanceWeigher'],
    );
    assert.throws(
      () => chooseWeighers(['GoodnessWeigher'], opts),
      (e: unknown) =>
        e instanceof SchedulerHostWeigherNotFound &&
        e.message === 'Scheduler Host Weigher GoodnessWeigher could not be found.',
    );
  });

  test('multipliers come from the options', () => {
    const opts = { capacity_weight_multiplier: -3, allocated_capacity_weight_multiplier: 2 };
    const [cap, alloc] = chooseWeighers(['CapacityWeigher', 'AllocatedCapacityWeigher'], opts);
    assert.equal(cap!.weightMultiplier(), -3);
    assert.equal(alloc!.weightMultiplier(), 2);
  });
});
