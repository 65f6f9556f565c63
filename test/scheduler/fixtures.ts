/**
 * Test fixtures for the scheduler: services, capability reports, pool states and a HostManager
 * wired to an editable service list. Used only by `*.test.ts` files.
 */
import { HostManager, type HostManagerOptions } from '../../src/scheduler/host-manager.js';
import { PoolState } from '../../src/scheduler/pool-state.js';
import type {
  Capabilities,
  FilterProperties,
  RequestSpec,
  VolumeServiceInfo,
} from '../../src/scheduler/types.js';

/** A `cinder-volume` service row: up, enabled, in AZ `nova` unless overridden. */
export function service(host: string, overrides: Partial<VolumeServiceInfo> = {}): VolumeServiceInfo {
  return { host, availability_zone: 'nova', disabled: false, up: true, cluster_name: null, ...overrides };
}

/** A thin-capable legacy (pool-less) backend report with 100 GiB total and free. */
export function report(overrides: Partial<Capabilities> = {}): Capabilities {
  return {
    volume_backend_name: 'lvm',
    vendor_name: 'Open Source',
    driver_version: '1.0',
    storage_protocol: 'iSCSI',
    total_capacity_gb: 100,
    free_capacity_gb: 100,
    allocated_capacity_gb: 0,
    reserved_percentage: 0,
    thin_provisioning_support: false,
    thick_provisioning_support: true,
    max_over_subscription_ratio: '20.0',
    multiattach: false,
    QoS_support: false,
    ...overrides,
  };
}

/** Numbers and identity of a pool built directly (for filter and weigher unit tests). */
export interface PoolSpec {
  host?: string;
  pool?: string;
  cluster?: string | null;
  az?: string;
  total?: PoolState['total_capacity_gb'];
  free?: PoolState['free_capacity_gb'];
  allocated?: number;
  provisioned?: number;
  reserved?: number;
  thin?: boolean;
  thick?: boolean;
  mosr?: number;
  capabilities?: Record<string, unknown>;
}

/** A PoolState with the given numbers, as if a report had been applied. */
export function pool(spec: PoolSpec = {}): PoolState {
  const host = spec.host ?? 'host1@lvm';
  const p = new PoolState(host, spec.cluster ?? null, spec.pool ?? 'pool1');
  p.service = service(host, { availability_zone: spec.az ?? 'nova' });
  p.total_capacity_gb = spec.total ?? 100;
  p.free_capacity_gb = spec.free === undefined ? 100 : spec.free;
  p.allocated_capacity_gb = spec.allocated ?? 0;
  p.provisioned_capacity_gb = spec.provisioned ?? p.allocated_capacity_gb;
  p.reserved_percentage = spec.reserved ?? 0;
  p.thin_provisioning_support = spec.thin ?? false;
  p.thick_provisioning_support = spec.thick ?? !p.thin_provisioning_support;
  p.max_over_subscription_ratio = spec.mosr ?? 1;
  p.capabilities = spec.capabilities ?? {};
  return p;
}

/** Filter properties for a create of `size` GiB with the given type extra specs. */
export function props(
  size: number,
  extraSpecs?: Record<string, string>,
  extra: FilterProperties = {},
): FilterProperties {
  const type = extraSpecs ? { extra_specs: extraSpecs } : {};
  return { size, volume_type: type, resource_type: type, ...extra };
}

/** A create-volume request spec for `size` GiB. */
export function requestSpec(size: number, overrides: Partial<RequestSpec> = {}): RequestSpec {
  return { volume_id: 'vol-1', volume_properties: { size }, ...overrides };
}

/** A HostManager over an editable service list, with a controllable clock. */
export function hostManager(
  services: VolumeServiceInfo[],
  overrides: Partial<Omit<HostManagerOptions, 'listVolumeServices'>> = {},
): HostManager {
  return new HostManager({
    listVolumeServices: async () => services,
    options: {
      max_over_subscription_ratio: '20.0',
      capacity_weight_multiplier: 1.0,
      allocated_capacity_weight_multiplier: -1.0,
    },
    ...overrides,
  });
}

/** Fixed instants for report timestamps. */
export const T0 = new Date('2024-05-01T10:00:00.000Z');
export const T1 = new Date('2024-05-01T10:01:00.000Z');
export const T2 = new Date('2024-05-01T10:02:00.000Z');
