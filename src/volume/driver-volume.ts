import type { VolumeRecord } from '../db/api/volumes.js';
import { volumeName, type DriverVolume } from './driver.js';

/** A volume row as its driver sees it (with its type's extra specs, when the caller has them). */
export function toDriverVolume(v: VolumeRecord, extraSpecs?: Record<string, string>): DriverVolume {
  return {
    id: v.id,
    name: volumeName(v.id),
    size: v.size,
    host: v.host,
    provider_location: v.provider_location,
    provider_auth: v.provider_auth,
    encrypted: v.encryption_key_id !== null,
    volume_type_extra_specs: extraSpecs ?? {},
  };
}
