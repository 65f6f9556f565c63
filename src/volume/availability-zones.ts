import type { Db } from '../db/api/common.js';
import { serviceGetAll, serviceIsUp } from '../db/api/services.js';

/** One zone as `os-availability-zone` shows it. */
export interface AvailabilityZone {
  name: string;
  available: boolean;
}

/**
 * Availability zones from the volume services' rows (Cinder's `list_availability_zones`), cached
 * for `az_cache_duration` seconds; `refresh` forces a re-read (done when a request names an
 * unknown zone, as Cinder does).
 */
export class AvailabilityZones {
  #cache: { at: number; zones: AvailabilityZone[] } | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: { az_cache_duration: number; service_down_time: number },
  ) {}

  async list(refresh = false): Promise<AvailabilityZone[]> {
    const now = Date.now();
    if (!refresh && this.#cache && now - this.#cache.at < this.opts.az_cache_duration * 1000)
      return this.#cache.zones;
    const services = await serviceGetAll(this.db, { binary: 'cinder-volume' });
    const zones = new Map<string, boolean>();
    for (const s of services) {
      const up = s.disabled === 0 && serviceIsUp(s, this.opts.service_down_time, now);
      zones.set(s.availability_zone, (zones.get(s.availability_zone) ?? false) || up);
    }
    const list = [...zones].map(([name, available]) => ({ name, available }));
    this.#cache = { at: now, zones: list };
    return list;
  }

  /** Drops the cache (a service registered or changed its zone). */
  invalidate(): void {
    this.#cache = null;
  }
}
