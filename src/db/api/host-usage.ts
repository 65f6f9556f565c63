/**
 * What `GET /os-hosts/{host}` reports (Cinder's `volume_data_get_for_host`,
 * `volume_data_get_for_project(host=)` and `snapshot_data_get_for_project(host=)`): volumes and
 * snapshots on a host, per project. Hosts match at Cinder's host-filter level (`hostMatches`).
 */
import type { Db } from './common.js';
import { hostMatches } from './services.js';

/** Counts and GiB of one project's volumes and snapshots on a host. */
export interface ProjectHostUsage {
  volumeCount: number;
  volumeGb: number;
  snapshotCount: number;
  snapshotGb: number;
}

/** Live volumes and snapshots on `host`, by project (in order of first volume). */
export async function hostUsageByProject(db: Db, host: string): Promise<Map<string, ProjectHostUsage>> {
  const volumes = await db
    .selectFrom('volumes')
    .select(['host', 'project_id', 'size'])
    .where('deleted', '=', 0)
    .where('host', 'is not', null)
    .orderBy('created_at')
    .execute();
  const usage = new Map<string, ProjectHostUsage>();
  const of = (project: string) => {
    let u = usage.get(project);
    if (!u) usage.set(project, (u = { volumeCount: 0, volumeGb: 0, snapshotCount: 0, snapshotGb: 0 }));
    return u;
  };
  for (const v of volumes) {
    if (!hostMatches(host, v.host!)) continue;
    const u = of(v.project_id ?? '');
    u.volumeCount += 1;
    u.volumeGb += Number(v.size);
  }
  const snapshots = await db
    .selectFrom('snapshots')
    .innerJoin('volumes', 'volumes.id', 'snapshots.volume_id')
    .select(['volumes.host as host', 'snapshots.project_id as project_id', 'snapshots.volume_size as size'])
    .where('snapshots.deleted', '=', 0)
    .where('volumes.host', 'is not', null)
    .execute();
  for (const s of snapshots) {
    if (!hostMatches(host, s.host!)) continue;
    // NOTE: as Cinder, a project appears only when it has volumes on the host.
    const u = usage.get(s.project_id ?? '');
    if (!u) continue;
    u.snapshotCount += 1;
    u.snapshotGb += Number(s.size);
  }
  return usage;
}
