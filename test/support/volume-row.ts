/**
 * A volume row for tests that write the database directly (`volumeCreate`): every column a new
 * row needs, as a detached `available` 1 GiB volume of project `p` on no host; `over` wins.
 */
import { randomUUID } from 'node:crypto';
import { NEW_VOLUME_DEFAULTS, type VolumeCreateValues } from '../../src/db/api/volumes.js';

export function volumeRow(over: Partial<VolumeCreateValues> = {}): VolumeCreateValues {
  return {
    ...NEW_VOLUME_DEFAULTS,
    id: randomUUID(),
    user_id: 'u',
    project_id: 'p',
    size: 1,
    availability_zone: 'nova',
    status: 'available',
    volume_type_id: randomUUID(),
    ...over,
  };
}
