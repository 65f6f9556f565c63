import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BackendState } from '../../src/scheduler/backend-state.js';
import { report, service, T0, T1, T2 } from './fixtures.js';
import type { Capabilities } from '../../src/scheduler/types.js';

const svc = service('host1@lvm', { availability_zone: 'az1' });

function apply(state: BackendState, caps: Capabilities, timestamp: Date): void {
  state.updateFromVolumeCapability({ ...caps, timestamp }, svc, '20.0');
}

describe('BackendState pools', () => {
  test('a pool-less backend becomes one pool named after volume_backend_name', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report({ volume_backend_name: 'lvm-1' }), T0);
    assert.deepEqual([...state.pools.keys()], ['lvm-1']);
    const pool = state.pools.get('lvm-1')!;
    assert.equal(pool.host, 'host1@lvm#lvm-1');
    assert.equal(pool.backend_id, 'host1@lvm#lvm-1');
    assert.equal(pool.availability_zone, 'az1');
    assert.equal(pool.total_capacity_gb, 100);
  });

  test('a pool-less backend without volume_backend_name gets pool _pool0', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report({ volume_backend_name: null }), T0);
    assert.deepEqual([...state.pools.keys()], ['_pool0']);
    assert.equal(state.pools.get('_pool0')!.host, 'host1@lvm#_pool0');
  });

  test('reported pools become host@backend#pool, each with its own numbers', () => {
    const state = new BackendState('host1@ceph', null);
    apply(
      state,
      report({
        volume_backend_name: 'ceph',
        pools: [
          { pool_name: 'fast', total_capacity_gb: 10, free_capacity_gb: 5 },
          { pool_name: 'slow', total_capacity_gb: 500, free_capacity_gb: 400, storage_protocol: 'fc' },
        ],
      }),
      T0,
    );
    assert.deepEqual(
      [...state.pools.values()].map((p) => p.host),
      ['host1@ceph#fast', 'host1@ceph#slow'],
    );
    assert.equal(state.pools.get('fast')!.free_capacity_gb, 5);
    assert.equal(state.pools.get('slow')!.total_capacity_gb, 500);
  });

  test('pool capabilities get backend name, protocol variants, vendor, driver version and timestamp', () => {
    const state = new BackendState('host1@ceph', null);
    apply(
      state,
      report({
        pools: [{ pool_name: 'p1' }, { pool_name: 'p2', storage_protocol: 'FC', vendor_name: 'Acme' }],
      }),
      T0,
    );
    const p1 = state.pools.get('p1')!.capabilities;
    assert.equal(p1['volume_backend_name'], 'lvm');
    assert.deepEqual(p1['storage_protocol'], ['iSCSI', 'iscsi']);
    assert.equal(p1['vendor_name'], 'Open Source');
    assert.equal(p1['driver_version'], '1.0');
    assert.deepEqual(p1['timestamp'], T0);
    const p2 = state.pools.get('p2')!.capabilities;
    assert.deepEqual(p2['storage_protocol'], ['FC', 'fibre_channel', 'fc']);
    assert.equal(p2['vendor_name'], 'Acme');
  });

  test('storage protocols without variants are kept as reported', () => {
    const state = new BackendState('host1@rbd', null);
    apply(state, report({ storage_protocol: 'ceph' }), T0);
    assert.equal([...state.pools.values()][0]!.capabilities['storage_protocol'], 'ceph');
    apply(state, report({ storage_protocol: 'nvmeof' }), T1);
    assert.deepEqual([...state.pools.values()][0]!.capabilities['storage_protocol'], [
      'NVMe-oF',
      'NVMeOF',
      'nvmeof',
    ]);
  });

  test('the report itself is not modified', () => {
    const state = new BackendState('host1@ceph', null);
    const caps = { ...report({ pools: [{ pool_name: 'p1' }] }), timestamp: T0 };
    state.updateFromVolumeCapability(caps, svc, '20.0');
    assert.equal(caps.storage_protocol, 'iSCSI');
    assert.deepEqual(caps.pools, [{ pool_name: 'p1' }]);
  });

  test('pools no longer reported are dropped; pools: [] leaves none', () => {
    const state = new BackendState('host1@ceph', null);
    apply(state, report({ pools: [{ pool_name: 'a' }, { pool_name: 'b' }] }), T0);
    apply(state, report({ pools: [{ pool_name: 'b' }] }), T1);
    assert.deepEqual([...state.pools.keys()], ['b']);
    apply(state, report({ pools: [] }), T2);
    assert.equal(state.pools.size, 0);
  });

  test('clustered backends name pools after the cluster too', () => {
    const state = new BackendState('host1@lvm', 'cluster1@lvm');
    apply(state, report(), T0);
    const pool = state.pools.get('lvm')!;
    assert.equal(pool.host, 'host1@lvm#lvm');
    assert.equal(pool.cluster_name, 'cluster1@lvm#lvm');
    assert.equal(pool.backend_id, 'cluster1@lvm#lvm');
  });
});

describe('PoolState numbers', () => {
  test('provisioned capacity defaults to allocated; free may be explicitly null', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report({ allocated_capacity_gb: 30, free_capacity_gb: null }), T0);
    const pool = state.pools.get('lvm')!;
    assert.equal(pool.provisioned_capacity_gb, 30);
    assert.equal(pool.free_capacity_gb, null);
  });

  test('missing numbers take Cinder defaults', () => {
    const state = new BackendState('host1@ceph', null);
    apply(state, { pools: [{ pool_name: 'bare' }] }, T0);
    const pool = state.pools.get('bare')!;
    assert.equal(pool.total_capacity_gb, 0);
    assert.equal(pool.free_capacity_gb, 0);
    assert.equal(pool.reserved_percentage, 0);
    assert.equal(pool.thin_provisioning_support, false);
    assert.equal(pool.max_over_subscription_ratio, 1);
    assert.equal(pool.multiattach, false);
  });

  test('max_over_subscription_ratio auto is computed from the pool numbers', () => {
    const state = new BackendState('host1@lvm', null);
    apply(
      state,
      report({
        thin_provisioning_support: true,
        max_over_subscription_ratio: 'auto',
        total_capacity_gb: 100,
        free_capacity_gb: 60,
        provisioned_capacity_gb: 82,
      }),
      T0,
    );
    assert.equal(state.pools.get('lvm')!.max_over_subscription_ratio, 3);
  });

  test('a thin pool reporting no ratio uses the configured default', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report({ thin_provisioning_support: true, max_over_subscription_ratio: undefined }), T0);
    assert.equal(state.pools.get('lvm')!.max_over_subscription_ratio, 20);
  });
});

describe('PoolState.consumeFromVolume', () => {
  test('placing a volume grows allocated and provisioned and shrinks free', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report({ allocated_capacity_gb: 10, provisioned_capacity_gb: 15 }), T0);
    const pool = state.pools.get('lvm')!;
    pool.consumeFromVolume(5, T1);
    assert.equal(pool.allocated_capacity_gb, 15);
    assert.equal(pool.provisioned_capacity_gb, 20);
    assert.equal(pool.free_capacity_gb, 95);
    assert.deepEqual(pool.updated, T1);
  });

  test('infinite and unknown free capacity stay as they are', () => {
    for (const word of ['infinite', 'unknown'] as const) {
      const state = new BackendState('host1@lvm', null);
      apply(state, report({ free_capacity_gb: word }), T0);
      const pool = state.pools.get('lvm')!;
      pool.consumeFromVolume(5, T1);
      assert.equal(pool.free_capacity_gb, word);
      assert.equal(pool.allocated_capacity_gb, 5);
    }
  });

  test('a report taken before the consumption does not undo it; a later one replaces it', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report(), T0);
    const pool = state.pools.get('lvm')!;
    pool.consumeFromVolume(40, T1);
    // the same (older) report is re-applied on every refresh
    apply(state, report(), T0);
    assert.equal(pool.free_capacity_gb, 60);
    apply(state, report({ free_capacity_gb: 70, allocated_capacity_gb: 30 }), T2);
    assert.equal(pool.free_capacity_gb, 70);
    assert.equal(pool.allocated_capacity_gb, 30);
  });

  test('a stale report still refreshes the capability dict', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report(), T0);
    const pool = state.pools.get('lvm')!;
    pool.consumeFromVolume(1, T2);
    apply(state, report({ custom: 'x' }), T1);
    assert.equal(pool.capabilities['custom'], 'x');
    assert.equal(pool.free_capacity_gb, 99);
  });

  test('a negative size reverts a consumption without touching updated', () => {
    const state = new BackendState('host1@lvm', null);
    apply(state, report(), T0);
    const pool = state.pools.get('lvm')!;
    pool.consumeFromVolume(10, T1);
    pool.consumeFromVolume(-10, null);
    assert.equal(pool.free_capacity_gb, 100);
    assert.equal(pool.allocated_capacity_gb, 0);
    assert.deepEqual(pool.updated, T1);
  });
});
