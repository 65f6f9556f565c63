import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterValue, NoValidBackend } from '../../src/common/errors.js';
import { FilterScheduler, restrictToResourceBackend } from '../../src/scheduler/filter-scheduler.js';
import { hostManager, report, requestSpec, service, T0 } from './fixtures.js';
import type { FilterProperties, VolumeServiceInfo } from '../../src/scheduler/types.js';

/** Two legacy backends (`big` 100 GiB free, `small` 40 GiB free) and a scheduler over them. */
function setup(opts: { maxAttempts?: number; services?: VolumeServiceInfo[]; filterNames?: string[] } = {}) {
  const services = opts.services ?? [
    service('big@lvm', { availability_zone: 'az1' }),
    service('small@lvm', { availability_zone: 'az2' }),
  ];
  const hm = hostManager(services, opts.filterNames ? { filterNames: opts.filterNames } : {});
  hm.updateServiceCapabilities('volume', 'big@lvm', report({ free_capacity_gb: 100 }), null, T0);
  hm.updateServiceCapabilities('volume', 'small@lvm', report({ free_capacity_gb: 40 }), null, T0);
  const scheduler = new FilterScheduler(hm, { scheduler_max_attempts: opts.maxAttempts ?? 3 });
  return { hm, scheduler, services };
}

const isNoValidBackend = (message: string) => (e: unknown) =>
  e instanceof NoValidBackend && e.message === message;

describe('FilterScheduler.scheduleCreateVolume', () => {
  test('picks the pool with the most free space and says where it is', async () => {
    const { scheduler } = setup();
    const chosen = await scheduler.scheduleCreateVolume(requestSpec(10), {});
    assert.deepEqual(chosen, {
      backendId: 'big@lvm#lvm',
      volumeHost: 'big@lvm#lvm',
      host: 'big@lvm',
      pool: 'lvm',
      clusterName: null,
      availabilityZone: 'az1',
    });
  });

  test('consumes the chosen pool, so volumes spread across backends', async () => {
    const { scheduler, hm } = setup();
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) picks.push((await scheduler.scheduleCreateVolume(requestSpec(30), {})).host);
    // big 100 → 70 → 40 (tie with small: first listed wins) → small 40 → 10 ...
    assert.deepEqual(picks, ['big@lvm', 'big@lvm', 'big@lvm', 'small@lvm']);
    const states = await hm.getAllBackendStates();
    assert.deepEqual(
      states.map((s) => s.free_capacity_gb),
      [10, 10],
    );
    assert.deepEqual(
      states.map((s) => s.allocated_capacity_gb),
      [90, 30],
    );
  });

  test('a volume bigger than any backend → NoValidBackend "No weighed backends available"', async () => {
    const { scheduler } = setup();
    await assert.rejects(
      scheduler.scheduleCreateVolume(requestSpec(500), {}),
      isNoValidBackend('No valid backend was found. No weighed backends available'),
    );
  });

  test('no backend at all → NoValidBackend', async () => {
    const scheduler = new FilterScheduler(hostManager([]), { scheduler_max_attempts: 3 });
    await assert.rejects(scheduler.scheduleCreateVolume(requestSpec(1), {}), NoValidBackend);
  });

  test('a requested availability zone restricts the choice', async () => {
    const { scheduler } = setup();
    const chosen = await scheduler.scheduleCreateVolume(requestSpec(10, { availability_zones: ['az2'] }), {});
    assert.equal(chosen.host, 'small@lvm');
    assert.equal(chosen.availabilityZone, 'az2');
  });

  test('a type no backend satisfies → NoValidBackend', async () => {
    const { scheduler } = setup();
    const type = { id: 't1', name: 'gold', extra_specs: { volume_backend_name: 'ceph' } };
    await assert.rejects(
      scheduler.scheduleCreateVolume(requestSpec(1, { volume_type: type }), {}),
      NoValidBackend,
    );
  });

  test('filter properties are filled in from the request spec', async () => {
    const { scheduler } = setup();
    const type = { id: 't1', name: 'lvm', extra_specs: {} };
    const spec = requestSpec(5, {
      volume_type: type,
      volume_properties: {
        size: 5,
        availability_zone: 'az1',
        user_id: 'u1',
        metadata: { a: 'b' },
        qos_specs: null,
      },
    });
    const fp: FilterProperties = { scheduler_hints: { same_host: 'x' } };
    await scheduler.scheduleCreateVolume(spec, fp);
    assert.equal(fp.request_spec, spec);
    assert.equal(fp.volume_type, type);
    assert.equal(fp.resource_type, type);
    assert.equal(fp.size, 5);
    assert.equal(fp.availability_zone, 'az1');
    assert.equal(fp.user_id, 'u1');
    assert.deepEqual(fp.metadata, { a: 'b' });
    assert.deepEqual(fp.scheduler_hints, { same_host: 'x' });
  });

  test('a request without a type is scheduled with an empty type', async () => {
    const { scheduler } = setup();
    const fp: FilterProperties = {};
    await scheduler.scheduleCreateVolume(requestSpec(5, { volume_type: null }), fp);
    assert.deepEqual(fp.volume_type, {});
  });
});

describe('FilterScheduler: retries', () => {
  test('first attempt starts retry info and records the chosen backend', async () => {
    const { scheduler } = setup();
    const fp: FilterProperties = {};
    await scheduler.scheduleCreateVolume(requestSpec(10), fp);
    assert.deepEqual(fp.retry, { num_attempts: 1, backends: ['big@lvm#lvm'], hosts: ['big@lvm#lvm'] });
  });

  test('a reschedule counts the attempt, drops the old failure text and adds the new backend', async () => {
    const { scheduler } = setup();
    const fp: FilterProperties = {
      retry: { num_attempts: 1, backends: ['big@lvm#lvm'], hosts: ['big@lvm#lvm'], exc: 'Traceback...' },
    };
    await scheduler.scheduleCreateVolume(requestSpec(10), fp);
    assert.equal(fp.retry!.num_attempts, 2);
    assert.equal('exc' in fp.retry!, false);
    assert.equal(fp.retry!.backends.length, 2);
  });

  test('a reschedule gives back the capacity the failed attempt consumed', async () => {
    const { scheduler, hm } = setup();
    const fp: FilterProperties = {};
    await scheduler.scheduleCreateVolume(requestSpec(60), fp);
    // big: 100 → 40; the volume fails there and comes back
    const again = await scheduler.scheduleCreateVolume(requestSpec(60), fp);
    // after reverting, big has 100 again and still wins
    assert.equal(again.host, 'big@lvm');
    const big = (await hm.getAllBackendStates()).find((s) => s.host === 'big@lvm#lvm')!;
    assert.equal(big.free_capacity_gb, 40);
  });

  test('more attempts than scheduler_max_attempts → NoValidBackend with the resource id', async () => {
    const { scheduler } = setup({ maxAttempts: 3 });
    const fp: FilterProperties = {
      retry: { num_attempts: 3, backends: ['a', 'b', 'c'], hosts: ['a', 'b', 'c'] },
    };
    await assert.rejects(
      scheduler.scheduleCreateVolume(requestSpec(1, { volume_id: 'vol-42' }), fp),
      isNoValidBackend('No valid backend was found. Exceeded max scheduling attempts 3 for resource vol-42'),
    );
  });

  test('the attempt limit is reached by rescheduling the same request', async () => {
    const { scheduler } = setup({ maxAttempts: 2 });
    const fp: FilterProperties = {};
    await scheduler.scheduleCreateVolume(requestSpec(1), fp);
    await scheduler.scheduleCreateVolume(requestSpec(1), fp);
    await assert.rejects(
      scheduler.scheduleCreateVolume(requestSpec(1), fp),
      /Exceeded max scheduling attempts 2 for resource vol-1/,
    );
  });

  test('scheduler_max_attempts = 1 disables retry info', async () => {
    const { scheduler } = setup({ maxAttempts: 1 });
    const fp: FilterProperties = { retry: { num_attempts: 5, backends: [], hosts: [] } };
    await scheduler.scheduleCreateVolume(requestSpec(1), fp);
    assert.equal(fp.retry, undefined);
  });

  test('scheduler_max_attempts below 1 is a configuration error', () => {
    const { hm } = setup();
    assert.throws(
      () => new FilterScheduler(hm, { scheduler_max_attempts: 0 }),
      (e: unknown) =>
        e instanceof InvalidParameterValue &&
        e.message === "Invalid value for 'scheduler_max_attempts', must be >=1",
    );
  });

  test('with IgnoreAttemptedHostsFilter a reschedule avoids the backend that failed', async () => {
    const { scheduler } = setup({ filterNames: ['CapacityFilter', 'IgnoreAttemptedHostsFilter'] });
    const fp: FilterProperties = {};
    assert.equal((await scheduler.scheduleCreateVolume(requestSpec(10), fp)).host, 'big@lvm');
    assert.equal((await scheduler.scheduleCreateVolume(requestSpec(10), fp)).host, 'small@lvm');
  });
});

describe('FilterScheduler: resource_backend', () => {
  test('a clone goes to its source backend even when another has more room', async () => {
    const { scheduler } = setup();
    const chosen = await scheduler.scheduleCreateVolume(
      requestSpec(10, { resource_backend: 'small@lvm' }),
      {},
    );
    assert.equal(chosen.backendId, 'small@lvm#lvm');
  });

  test('a resource_backend with a pool must match the pool too', async () => {
    const services = [service('h@ceph')];
    const hm = hostManager(services);
    hm.updateServiceCapabilities(
      'volume',
      'h@ceph',
      report({
        pools: [
          { pool_name: 'a', total_capacity_gb: 100, free_capacity_gb: 100 },
          { pool_name: 'b', total_capacity_gb: 100, free_capacity_gb: 50 },
        ],
      }),
      null,
      T0,
    );
    const scheduler = new FilterScheduler(hm, { scheduler_max_attempts: 3 });
    assert.equal(
      (await scheduler.scheduleCreateVolume(requestSpec(1, { resource_backend: 'h@ceph#b' }), {})).pool,
      'b',
    );
    assert.equal(
      (await scheduler.scheduleCreateVolume(requestSpec(1, { resource_backend: 'h@ceph' }), {})).pool,
      'a',
    );
  });

  test('the source backend cannot take it → NoValidBackend', async () => {
    const { scheduler } = setup();
    await assert.rejects(
      scheduler.scheduleCreateVolume(requestSpec(50, { resource_backend: 'small@lvm' }), {}),
      isNoValidBackend('No valid backend was found. No weighed backends available'),
    );
    await assert.rejects(
      scheduler.scheduleCreateVolume(requestSpec(1, { resource_backend: 'gone@lvm' }), {}),
      NoValidBackend,
    );
  });

  test('restrictToResourceBackend keeps everything when no backend is set', () => {
    assert.deepEqual(restrictToResourceBackend([], null), []);
  });
});

describe('FilterScheduler.backendPassesFilters', () => {
  test('returns the pool state when the backend can take the volume', async () => {
    const { scheduler } = setup();
    assert.equal((await scheduler.backendPassesFilters('small@lvm', requestSpec(10))).host, 'small@lvm#lvm');
    assert.equal(
      (await scheduler.backendPassesFilters('small@lvm#lvm', requestSpec(10))).host,
      'small@lvm#lvm',
    );
  });

  test('a backend that cannot take it → "Cannot place volume <id> on <backend>."', async () => {
    const { scheduler } = setup();
    await assert.rejects(
      scheduler.backendPassesFilters('small@lvm', requestSpec(50, { volume_id: 'v9' })),
      isNoValidBackend('No valid backend was found. Cannot place volume v9 on small@lvm.'),
    );
  });

  test('checking does not consume capacity', async () => {
    const { scheduler, hm } = setup();
    await scheduler.backendPassesFilters('small@lvm', requestSpec(10));
    const small = (await hm.getAllBackendStates()).find((s) => s.host === 'small@lvm#lvm')!;
    assert.equal(small.free_capacity_gb, 40);
  });
});
