/**
 * What a volume host holds, per project (Cinder's `volume_data_get_for_host` and the per-project
 * volume and snapshot totals `os-hosts` shows).
 */
import type { Db } from '../db/api/common.js';
import { hostUsageByProject, type ProjectHostUsage } from '../db/api/host-usage.js';

/** Live volumes and snapshots on `host`, by project (in order of first volume). */
export function hostUsage(db: Db, host: string): Promise<Map<string, ProjectHostUsage>> {
  return hostUsageByProject(db, host);
}
