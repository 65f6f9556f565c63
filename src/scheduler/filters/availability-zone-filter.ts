/**
 * AvailabilityZoneFilter (Cinder's `scheduler/filters/availability_zone_filter.py`): keeps pools whose service is in the requested
 * availability zone(s).
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties } from '../types.js';
import type { BackendFilter, RejectReason } from './backend-filter.js';

/**
 * A non-empty `request_spec.availability_zones` list wins: the pool's service AZ must be in it.
 * Otherwise a requested `availability_zone` (from `resource_properties`, i.e. the volume
 * properties) must equal the service AZ. With neither, every pool passes.
 */
export class AvailabilityZoneFilter implements BackendFilter {
  readonly name = 'AvailabilityZoneFilter';
  readonly runFilterOncePerRequest = true;

  backendPasses(backend: PoolState, filterProperties: FilterProperties, reject?: RejectReason): boolean {
    const spec = filterProperties.request_spec;
    const zones = spec?.availability_zones;
    const serviceZone = backend.availability_zone;
    if (zones && zones.length > 0) {
      const ok = serviceZone !== null && zones.includes(serviceZone);
      if (!ok) reject?.(`availability zone ${String(serviceZone)} is not one of ${zones.join(', ')}`);
      return ok;
    }
    const props = spec?.resource_properties ?? spec?.volume_properties;
    const wanted = props?.availability_zone;
    if (wanted && wanted !== serviceZone) {
      reject?.(`availability zone ${String(serviceZone)} is not the requested ${wanted}`);
      return false;
    }
    return true;
  }
}
