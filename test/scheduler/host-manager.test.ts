import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerHostFilterNotFound, SchedulerHostWeigherNotFound } from '../../src/common/errors.js';
import { hostManager, props, report, service, T0, T1, T2 } from './fixtures.js';
import type { VolumeServiceInfo } from '../../src/scheduler/types.js';

const hosts = async (hm: ReturnType<typeof hostManager>): Promise<string[]> =>
  (await hm.getAllBackendStates()).map((p) => p.host);

describe('HostManager: which backends count', () => {
  test('only up, enabled, unfrozen services that have reported give pools', async () => {
    const services: VolumeServiceInfo[] = [
      service('ok@lvm'),
      service('down@lvm', { up: false }),
      service('disabled@lvm', { disabled: true }),
      service('frozen@lvm', { frozen: true }),
      service('silent@lvm'),
    ];
    const hm = hostManager(services);
    for (const s of services.filter((x) => x.host !== 'silent@lvm')) {
      hm.updateServiceCapabilities('volume', s.host, report(), null, T0);
    }
    assert.deepEqual(await hosts(hm), ['ok@lvm#lvm']);
    assert.equal(hm.hasAllCapabilities(), false);
    assert.equal(hm.hasReported('ok@lvm'), true);
    assert.equal(hm.hasReported('silent@lvm'), false);
  });

  test('a service that goes down drops out, and comes back when up again', async () => {
    const services = [service('a@lvm'), service('b@lvm')];
    const hm = hostManager(services);
    hm.updateServiceCapabilities('volume', 'a@lvm', report(), null, T0);
    hm.updateServiceCapabilities('volume', 'b@lvm', report(), null, T0);
    assert.deepEqual(await hosts(hm), ['a@lvm#lvm', 'b@lvm#lvm']);
    services[0]!.up = false;
    assert.deepEqual(await hosts(hm), ['b@lvm#lvm']);
    services[0]!.up = true;
    assert.deepEqual((await hosts(hm)).sort(), ['a@lvm#lvm', 'b@lvm#lvm']);
    assert.equal(hm.hasAllCapabilities(), true);
  });

  test('pools of a multi-pool backend are all listed; the AZ comes from the service', async () => {
    const hm = hostManager([service('h@ceph', { availability_zone: 'az7' })]);
    hm.updateServiceCapabilities(
      'volume',
      'h@ceph',
      report({ pools: [{ pool_name: 'p1' }, { pool_name: 'p2' }] }),
      null,
      T0,
    );
    const states = await hm.getAllBackendStates();
    assert.deepEqual(
      states.map((p) => p.backend_id),
      ['h@ceph#p1', 'h@ceph#p2'],
    );
    assert.deepEqual(
      states.map((p) => p.availability_zone),
      ['az7', 'az7'],
    );
  });

  test('non-volume services are ignored', async () => {
    const hm = hostManager([service('h@lvm')]);
    hm.updateServiceCapabilities('backup', 'h@lvm', report(), null, T0);
    assert.equal(hm.hasReported('h@lvm'), false);
    assert.deepEqual(await hosts(hm), []);
  });

  test('clustered services share the cluster report and the pool is named after the cluster', async () => {
    const services = [
      service('h1@lvm', { cluster_name: 'c@lvm' }),
      service('h2@lvm', { cluster_name: 'c@lvm' }),
    ];
    const hm = hostManager(services);
    hm.updateServiceCapabilities('volume', 'h2@lvm', report(), 'c@lvm', T0);
    const states = await hm.getAllBackendStates();
    assert.equal(states.length, 1);
    assert.equal(states[0]!.backend_id, 'c@lvm#lvm');
    assert.equal(states[0]!.host, 'h1@lvm#lvm');
  });

  test('removeBackend forgets the report', async () => {
    const hm = hostManager([service('h@lvm')]);
    hm.updateServiceCapabilities('volume', 'h@lvm', report(), null, T0);
    hm.removeBackend('h@lvm');
    assert.equal(hm.hasReported('h@lvm'), false);
    assert.deepEqual(await hosts(hm), []);
  });
});

describe('HostManager: capability reports', () => {
  test('an older capability report is ignored; the same or a newer one is taken', async () => {
    const hm = hostManager([service('h@lvm')]);
    hm.updateServiceCapabilities('volume', 'h@lvm', report({ free_capacity_gb: 50 }), null, T1);
    hm.updateServiceCapabilities('volume', 'h@lvm', report({ free_capacity_gb: 10 }), null, T0);
    assert.equal((await hm.getAllBackendStates())[0]!.free_capacity_gb, 50);
    hm.updateServiceCapabilities('volume', 'h@lvm', report({ free_capacity_gb: 40 }), null, T1);
    assert.equal((await hm.getAllBackendStates())[0]!.free_capacity_gb, 40);
    hm.updateServiceCapabilities('volume', 'h@lvm', report({ free_capacity_gb: 30 }), null, T2);
    assert.equal((await hm.getAllBackendStates())[0]!.free_capacity_gb, 30);
  });

  test('RPC timestamp strings (naive UTC) are ordered correctly', async () => {
    const hm = hostManager([service('h@lvm')]);
    hm.updateServiceCapabilities(
      'volume',
      'h@lvm',
      report({ free_capacity_gb: 50 }),
      null,
      '2024-05-01T10:01:00.000000',
    );
    hm.updateServiceCapabilities(
      'volume',
      'h@lvm',
      report({ free_capacity_gb: 10 }),
      null,
      '2024-05-01T10:00:59.999000',
    );
    assert.equal((await hm.getAllBackendStates())[0]!.free_capacity_gb, 50);
  });

  test('the caller keeps its report object: later edits do not leak in', async () => {
    const hm = hostManager([service('h@lvm')]);
    const caps = report();
    hm.updateServiceCapabilities('volume', 'h@lvm', caps, null, T0);
    caps.free_capacity_gb = 1;
    assert.equal((await hm.getAllBackendStates())[0]!.free_capacity_gb, 100);
  });

  test('virtual consumption survives refreshes until a newer report arrives', async () => {
    let clock = T1;
    const hm = hostManager([service('h@lvm')], { now: () => clock });
    hm.updateServiceCapabilities('volume', 'h@lvm', report(), null, T0);
    (await hm.getAllBackendStates())[0]!.consumeFromVolume(30, clock);
    assert.equal((await hm.getAllBackendStates())[0]!.free_capacity_gb, 70);
    clock = T2;
    hm.updateServiceCapabilities('volume', 'h@lvm', report({ free_capacity_gb: 75 }), null, T2);
    assert.equal((await hm.getAllBackendStates())[0]!.free_capacity_gb, 75);
  });

  test('revertVolumeConsumedCapacity gives back what a failed attempt took', async () => {
    const hm = hostManager([service('h@lvm')]);
    hm.updateServiceCapabilities('volume', 'h@lvm', report(), null, T0);
    const [p] = await hm.getAllBackendStates();
    p!.consumeFromVolume(30, T1);
    hm.revertVolumeConsumedCapacity('h@lvm#lvm', 30);
    hm.revertVolumeConsumedCapacity('other@lvm#lvm', 30);
    assert.equal(p!.free_capacity_gb, 100);
    assert.equal(p!.allocated_capacity_gb, 0);
  });
});

describe('HostManager: configuration', () => {
  test('unknown filter or weigher names fail at construction', () => {
    assert.throws(() => hostManager([], { filterNames: ['NoSuchFilter'] }), SchedulerHostFilterNotFound);
    assert.throws(() => hostManager([], { weigherNames: ['NoSuchWeigher'] }), SchedulerHostWeigherNotFound);
  });

  test('the configured over-subscription ratio applies to thin pools that report none', async () => {
    const hm = hostManager([service('h@lvm')], {
      options: {
        max_over_subscription_ratio: '3.5',
        capacity_weight_multiplier: 1,
        allocated_capacity_weight_multiplier: -1,
      },
    });
    hm.updateServiceCapabilities(
      'volume',
      'h@lvm',
      report({ thin_provisioning_support: true, max_over_subscription_ratio: undefined }),
      null,
      T0,
    );
    assert.equal((await hm.getAllBackendStates())[0]!.max_over_subscription_ratio, 3.5);
  });

  test('configured filters and weighers are used', async () => {
    const hm = hostManager([service('a@lvm'), service('b@lvm')], {
      filterNames: ['CapacityFilter'],
      weigherNames: ['AllocatedCapacityWeigher'],
    });
    hm.updateServiceCapabilities(
      'volume',
      'a@lvm',
      report({ allocated_capacity_gb: 50, free_capacity_gb: 50 }),
      null,
      T0,
    );
    hm.updateServiceCapabilities(
      'volume',
      'b@lvm',
      report({ allocated_capacity_gb: 10, free_capacity_gb: 5 }),
      null,
      T0,
    );
    const states = await hm.getAllBackendStates();
    assert.deepEqual(
      hm.getFilteredBackends(states, props(10)).map((p) => p.host),
      ['a@lvm#lvm'],
    );
    assert.deepEqual(
      hm.getWeighedBackends(states, props(10)).map((w) => w.obj.host),
      ['b@lvm#lvm', 'a@lvm#lvm'],
    );
  });
});

describe('HostManager.getPools', () => {
  async function setup(): Promise<ReturnType<typeof hostManager>> {
    const hm = hostManager([service('h1@lvm'), service('h2@ceph')]);
    hm.updateServiceCapabilities(
      'volume',
      'h1@lvm',
      report({ volume_backend_name: 'lvm', multiattach: false }),
      null,
      T0,
    );
    hm.updateServiceCapabilities(
      'volume',
      'h2@ceph',
      report({
        volume_backend_name: 'ceph',
        storage_protocol: 'ceph',
        pools: [
          { pool_name: 'gold', total_capacity_gb: 10, free_capacity_gb: 10, multiattach: true },
          { pool_name: 'silver', total_capacity_gb: 1000, free_capacity_gb: 900, multiattach: false },
        ],
      }),
      null,
      T0,
    );
    return hm;
  }

  test('lists every pool as host@backend#pool with its capabilities', async () => {
    const pools = await (await setup()).getPools();
    assert.deepEqual(
      pools.map((p) => p.name),
      ['h1@lvm#lvm', 'h2@ceph#gold', 'h2@ceph#silver'],
    );
    const gold = pools[1]!.capabilities;
    assert.equal(gold['pool_name'], 'gold');
    assert.equal(gold['volume_backend_name'], 'ceph');
    assert.equal(gold['vendor_name'], 'Open Source');
    assert.equal(gold['storage_protocol'], 'ceph');
    assert.equal(gold['timestamp'], '2024-05-01T10:00:00.000000');
    const lvm = pools[0]!.capabilities;
    assert.deepEqual(lvm['storage_protocol'], ['iSCSI', 'iscsi']);
    assert.equal(lvm['total_capacity_gb'], 100);
  });

  test('name filter keeps only that pool', async () => {
    const pools = await (await setup()).getPools({ name: 'h2@ceph#silver' });
    assert.deepEqual(
      pools.map((p) => p.name),
      ['h2@ceph#silver'],
    );
  });

  test('capability filters compare query strings with converted capability values', async () => {
    const hm = await setup();
    assert.deepEqual(
      (await hm.getPools({ multiattach: 'true' })).map((p) => p.name),
      ['h2@ceph#gold'],
    );
    assert.deepEqual(
      (await hm.getPools({ total_capacity_gb: '1000' })).map((p) => p.name),
      ['h2@ceph#silver'],
    );
    assert.deepEqual(
      (await hm.getPools({ volume_backend_name: 'lvm' })).map((p) => p.name),
      ['h1@lvm#lvm'],
    );
    assert.deepEqual(
      (await hm.getPools({ storage_protocol: 'iscsi' })).map((p) => p.name),
      ['h1@lvm#lvm'],
    );
    assert.deepEqual(await hm.getPools({ no_such_capability: 'x' }), []);
  });

  test('volume_type filter keeps the pools that pass the filters for that type', async () => {
    const hm = await setup();
    const multiattach = { id: 't', name: 'multi', extra_specs: { multiattach: '<is> True' } };
    assert.deepEqual(
      (await hm.getPools({ volume_type: multiattach })).map((p) => p.name),
      ['h2@ceph#gold'],
    );
    const onLvm = { extra_specs: { volume_backend_name: 'lvm' } };
    assert.deepEqual(
      (await hm.getPools({ volume_type: onLvm })).map((p) => p.name),
      ['h1@lvm#lvm'],
    );
  });

  test('returned capabilities are copies', async () => {
    const hm = await setup();
    const [first] = await hm.getPools();
    first!.capabilities['volume_backend_name'] = 'changed';
    assert.equal((await hm.getPools())[0]!.capabilities['volume_backend_name'], 'lvm');
  });
});
