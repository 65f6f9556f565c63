/**
 * AvailabilityZoneFilter (volume-create.md §5.4): keeps pools whose service is in the requested
 * availability zone(s).
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties } from '../types.js';
import type { BackendFilter } from './backend-filter.js';

/**
 * A non-empty `request_spec.availability_zones` list wins: the pool's service AZ must be in it.
 * Otherwise a requested `availability_zone` (from `resource_properties`, i.e. the volume
 * properties) must equal the service AZ. With neither, every pool passes.
 */
export class AvailabilityZoneFilter implements BackendFilter {
  readonly name = 'AvailabilityZoneFilter';
  readonly runFilterOncePerRequest = true;

  backendPasses(backend: PoolState, filterProperties: FilterProperties): boolean {
    const spec = filterProperties.request_spec;
    const zones = spec?.availability_zones;
    const serviceZone = backend.availability_zone;
    if (zones && zones.length > 0) return serviceZone !== null && zones.includes(serviceZone);
    const props = spec?.resource_properties ?? spec?.volume_properties;
    const wanted = props?.availability_zone;
    if (wanted) return wanted === serviceZone;
    return true;
  }
}
