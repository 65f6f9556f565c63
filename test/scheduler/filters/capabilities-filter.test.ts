import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CapabilitiesFilter } from '../../../src/scheduler/filters/capabilities-filter.js';
import { pool, props, requestSpec } from '../fixtures.js';
import type { FilterProperties } from '../../../src/scheduler/types.js';

const filter = new CapabilitiesFilter();
const caps = {
  volume_backend_name: 'lvm-1',
  storage_protocol: ['iSCSI', 'iscsi'],
  multiattach: true,
  thin_provisioning_support: false,
  QoS_support: false,
  online_extend_support: false,
  total_capacity_gb: 100,
  vendor_info: { model: 'X1', firmware: { version: '3' } },
};
const backend = pool({ capabilities: caps });
const passes = (specs: Record<string, string>): boolean => filter.backendPasses(backend, props(1, specs));

describe('CapabilitiesFilter', () => {
  test('no type or a type without extra specs passes', () => {
    assert.equal(filter.backendPasses(backend, {}), true);
    assert.equal(filter.backendPasses(backend, props(1)), true);
    assert.equal(passes({}), true);
  });

  test('unscoped volume_backend_name must equal the reported one', () => {
    assert.equal(passes({ volume_backend_name: 'lvm-1' }), true);
    assert.equal(passes({ volume_backend_name: 'lvm-2' }), false);
  });

  test('capabilities:<key> is the same as the unscoped key', () => {
    assert.equal(passes({ 'capabilities:volume_backend_name': 'lvm-1' }), true);
    assert.equal(passes({ 'capabilities:volume_backend_name': 'lvm-2' }), false);
  });

  test('other scopes are not capabilities and are skipped', () => {
    assert.equal(
      passes({
        'provisioning:type': 'thick',
        'RESKEY:availability_zones': 'az9',
        'provisioning:min_vol_size': '1000',
        'vendor:anything': 'whatever',
      }),
      true,
    );
  });

  test('a capability the backend does not report → filtered out', () => {
    assert.equal(passes({ replication_enabled: '<is> True' }), false);
    assert.equal(passes({ 'capabilities:replication_enabled': '<is> False' }), false);
  });

  test('operators apply to the capability value', () => {
    assert.equal(passes({ multiattach: '<is> True' }), true);
    assert.equal(passes({ thin_provisioning_support: '<is> True' }), false);
    assert.equal(passes({ total_capacity_gb: '>= 50' }), true);
    assert.equal(passes({ total_capacity_gb: '>= 500' }), false);
  });

  test('a boolean capability matches a plain True/False spec', () => {
    assert.equal(passes({ multiattach: 'True' }), true);
    assert.equal(passes({ QoS_support: 'False' }), true);
    assert.equal(passes({ QoS_support: 'True' }), false);
  });

  test('a list capability matches when any element does (storage protocol variants)', () => {
    assert.equal(passes({ storage_protocol: 'iscsi' }), true);
    assert.equal(passes({ storage_protocol: 'iSCSI' }), true);
    assert.equal(passes({ storage_protocol: '<in> SCSI' }), true);
    assert.equal(passes({ storage_protocol: 'FC' }), false);
  });

  test('nested scopes walk nested capability dicts', () => {
    assert.equal(passes({ 'capabilities:vendor_info:model': 'X1' }), true);
    assert.equal(passes({ 'capabilities:vendor_info:firmware:version': '>= 2' }), true);
    assert.equal(passes({ 'capabilities:vendor_info:model': 'X2' }), false);
    assert.equal(passes({ 'capabilities:vendor_info:serial': 'S' }), false);
    // walking into a non-dict fails
    assert.equal(passes({ 'capabilities:volume_backend_name:x': 'y' }), false);
  });

  test('every spec must hold: one failing spec fails the pool', () => {
    assert.equal(passes({ volume_backend_name: 'lvm-1', multiattach: '<is> False' }), false);
  });

  test('extending an attached volume needs online_extend_support', () => {
    const extend = (attach_status: string): FilterProperties => ({
      request_spec: requestSpec(2, {
        operation: 'extend_volume',
        volume_properties: { size: 2, attach_status },
      }),
    });
    assert.equal(filter.backendPasses(backend, extend('attached')), false);
    assert.equal(filter.backendPasses(backend, extend('detached')), true);
    const online = pool({ capabilities: { ...caps, online_extend_support: true } });
    assert.equal(filter.backendPasses(online, extend('attached')), true);
    const unsaid = pool({ capabilities: { volume_backend_name: 'x' } });
    assert.equal(filter.backendPasses(unsaid, extend('attached')), true);
  });
});
