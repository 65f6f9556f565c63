/** Volume rows written straight into a Kindling database by the benchmarks that need many. */
import { randomUUID } from 'node:crypto';
import { NEW_VOLUME_DEFAULTS } from '../../src/db/api/volumes.js';
import { isoNow } from '../../src/common/time.js';

/** A live 1 GiB volume row of `project` (default `p`) on `host` (null: none yet), of `typeId`. */
export function liveVolumeRow(o: {
  typeId: string;
  host: string | null;
  status?: string;
  project?: string;
  createdAt?: string;
  name?: string;
}) {
  return {
    ...NEW_VOLUME_DEFAULTS,
    id: randomUUID(),
    user_id: 'bench',
    project_id: o.project ?? 'p',
    size: 1,
    status: o.status ?? 'available',
    availability_zone: 'nova',
    volume_type_id: o.typeId,
    host: o.host,
    display_name: o.name ?? null,
    created_at: o.createdAt ?? isoNow(),
    deleted: 0 as const,
  };
}
