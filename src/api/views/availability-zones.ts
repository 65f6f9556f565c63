/** `/os-availability-zone` view (Cinder's `api/views/availability_zones.py`). */
import type { AvailabilityZone } from '../../volume/availability-zones.js';

/** `{availabilityZoneInfo: [{zoneName, zoneState: {available}}]}`. */
export function availabilityZonesView(zones: readonly AvailabilityZone[]): Record<string, unknown> {
  return {
    availabilityZoneInfo: zones.map((z) => ({ zoneName: z.name, zoneState: { available: z.available } })),
  };
}
