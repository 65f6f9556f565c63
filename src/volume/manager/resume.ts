import type { RequestContext } from '../../common/context.js';
import { adminContext } from '../../common/context.js';
import { extractHost } from '../../common/host.js';
import { serviceGetAll, serviceIsUp } from '../../db/api/services.js';
import { formatTimestamp } from '../../common/time.js';
import { volumeGet } from '../../db/api/volumes.js';
import { volumesInProgressInCluster, volumesInProgressOnHost } from '../../db/api/volume-service-queries.js';
import type { CleanupRequest } from '../rpcapi.js';
import type { ManagerBackend } from './backend.js';

/** A volume whose create or delete was run again, and the status it ended in. */
export interface ResumedVolume {
  volumeId: string;
  action: 'create' | 'delete';
  status: string;
}

/** The service's own work, to run again. */
export interface ResumeActions {
  createVolume(ctx: RequestContext, volumeId: string): Promise<void>;
  deleteVolume(ctx: RequestContext, volumeId: string): Promise<void>;
  /** Cinder's `do_cleanup` of this service (src/volume/cleanup.ts). */
  doCleanup(req: CleanupRequest): Promise<unknown>;
}

/**
 * `init_host` cleanup: volumes this backend was creating or deleting when it stopped, and, in a
 * cluster, those a member that is now down left unfinished, are finished now. A create is resumed
 * (drivers make creates idempotent) without rescheduling; a delete is run again. With
 * `olderThanSeconds`, only this service's own volumes untouched that long (a lost message) are
 * taken; a dead peer's are taken at once. Results as values.
 */
export async function resumeLeftWork(
  b: ManagerBackend,
  actions: ResumeActions,
  olderThanSeconds = 0,
): Promise<ResumedVolume[]> {
  const db = b.deps.dbh.db;
  // NOTE: snapshots first, so a cascade delete cut short finds its snapshots gone or going.
  await b.snapshots.cleanup(olderThanSeconds);
  const cutoff =
    olderThanSeconds > 0 ? formatTimestamp(new Date(Date.now() - olderThanSeconds * 1000)) : undefined;
  await cleanDeadPeers(b, actions);
  const stuck = [...(await volumesInProgressOnHost(db, b.host, cutoff)), ...(await orphansOfDeadPeers(b))];
  const out: ResumedVolume[] = [];
  const ctx = adminContext();
  for (const v of stuck) {
    const action = v.status === 'creating' ? 'create' : 'delete';
    if (action === 'create') await actions.createVolume(ctx, v.id);
    else await actions.deleteVolume(ctx, v.id);
    out.push({ volumeId: v.id, action, status: (await volumeGet(db, v.id))?.status ?? 'deleted' });
  }
  if (out.length)
    b.deps.log.info({ host: b.host, resumed: out }, 'Resumed work left by a previous run or a dead peer');
  return out;
}

/**
 * Clustered: the `workers` rows of members that are down are cleaned by a live member (each row
 * claimed by compare-and-swap, so by one member only). Cinder waits for an operator's
 * `POST /workers/cleanup`; Kindling does it as soon as the member counts as down.
 */
async function cleanDeadPeers(b: ManagerBackend, actions: ResumeActions): Promise<void> {
  if (!b.cluster) return;
  const me = b.serviceId();
  const downTime = b.deps.config.DEFAULT.service_down_time;
  const dead = (await serviceGetAll(b.deps.dbh.db, { binary: 'cinder-volume' })).filter(
    (s) => s.cluster_name === b.cluster && s.id !== me && !serviceIsUp(s, downTime),
  );
  for (const s of dead) await actions.doCleanup({ service_id: s.id });
}

/** The cluster's volumes still creating/deleting on a member that is down (or gone). */
async function orphansOfDeadPeers(b: ManagerBackend): Promise<{ id: string; status: string }[]> {
  if (!b.cluster) return [];
  const db = b.deps.dbh.db;
  const downTime = b.deps.config.DEFAULT.service_down_time;
  const up = new Set(
    (await serviceGetAll(db, { binary: 'cinder-volume' }))
      .filter((s) => s.cluster_name === b.cluster && serviceIsUp(s, downTime))
      .map((s) => s.host),
  );
  up.add(b.host);
  const rows = await volumesInProgressInCluster(db, b.cluster);
  return rows.filter((r) => !r.host || !up.has(extractHost(r.host, 'backend') ?? r.host));
}
