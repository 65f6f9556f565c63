/**
 * Cinder's `SchedulerManager.work_cleanup` (`POST /workers/cleanup`): the services matching the
 * request are found, and each is sent a `do_cleanup` — a volume service's to its cluster's queue
 * when clustered (any live member cleans it), else to its own — when someone is alive to do it.
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { clusterGetAll, type ClusterSummary } from '../db/api/clusters.js';
import { hostMatches, serviceGetAll, serviceIsUp, type ServiceRow } from '../db/api/services.js';
import { workerClaimForCleanup, workerDestroy, workerGetAll } from '../db/api/workers.js';
import { isoNow } from '../common/time.js';
import type { CleanupRequest, VolumeRPCAPI } from '../volume/rpcapi.js';
import type { CleanupService, SchedulerRPCAPI, WorkCleanupResult } from './rpcapi.js';

/** The binaries whose services keep `workers` rows and answer `do_cleanup`. */
const CLEANABLE_BINARIES = ['cinder-volume', 'cinder-scheduler'];

function view(s: ServiceRow): CleanupService {
  return { id: s.id, host: s.host, binary: s.binary, cluster_name: s.cluster_name };
}

/** Cinder's `_service_query` filters of a cleanup request (`is_up` null: either). */
function matches(
  s: ServiceRow,
  req: CleanupRequest,
  clusterOf: (s: ServiceRow) => ClusterSummary | undefined,
  downTime: number,
  now: number,
): boolean {
  if (!CLEANABLE_BINARIES.includes(s.binary)) return false;
  if (req.binary && s.binary !== req.binary) return false;
  if (req.service_id !== undefined && req.service_id !== null && s.id !== req.service_id) return false;
  if (req.host && !hostMatches(req.host, s.host)) return false;
  if (req.cluster_name && !(s.cluster_name && hostMatches(req.cluster_name, s.cluster_name))) return false;
  if (req.is_up !== undefined && req.is_up !== null && serviceIsUp(s, downTime, now) !== req.is_up)
    return false;
  if (req.disabled !== undefined && req.disabled !== null) {
    // NOTE: as Cinder's `_clustered_bool_field_filter`: a clustered service is disabled when its
    // cluster is.
    const disabled = s.cluster_name ? clusterOf(s)?.disabled === 1 : s.disabled === 1;
    if (disabled !== req.disabled) return false;
  }
  return true;
}

export async function workCleanup(
  deps: CoreDeps,
  rpc: { volume: VolumeRPCAPI; scheduler: SchedulerRPCAPI },
  ctx: RequestContext,
  req: CleanupRequest,
): Promise<WorkCleanupResult> {
  const db = deps.dbh.db;
  const downTime = deps.config.DEFAULT.service_down_time;
  const now = Date.now();
  const clusters = new Map(
    (await clusterGetAll(db, {}, downTime)).map((c) => [`${c.binary} ${c.name}`, c] as const),
  );
  const clusterOf = (s: ServiceRow) => clusters.get(`${s.binary} ${s.cluster_name}`);
  const services = (await serviceGetAll(db)).filter((s) => matches(s, req, clusterOf, downTime, now));
  const until = req.until ?? isoNow();
  const out: WorkCleanupResult = { cleaning: [], unavailable: [] };
  deps.log.info('Workers cleanup request started.');
  for (const s of services) {
    const one: CleanupRequest = {
      ...req,
      cluster_name: s.cluster_name,
      service_id: s.id,
      host: s.host,
      binary: s.binary,
      until,
    };
    if (s.binary === 'cinder-scheduler') {
      deps.log.info(`Sending cleanup for ${s.binary} ${s.host}.`);
      await rpc.scheduler.doCleanup(ctx, one);
      out.cleaning.push(view(s));
      continue;
    }
    const alive = s.cluster_name ? (clusterOf(s)?.is_up ?? false) : serviceIsUp(s, downTime, now);
    const dest = s.cluster_name ?? s.host;
    if (alive) {
      deps.log.info(`Sending cleanup for ${s.binary} ${dest}.`);
      await rpc.volume.doCleanup(ctx, { ...one, host: s.host, cluster_name: s.cluster_name });
      out.cleaning.push(view(s));
    } else {
      deps.log.info(`No service available to cleanup ${s.binary} ${dest}.`);
      out.unavailable.push(view(s));
    }
  }
  deps.log.info('Cleanup requests completed.');
  return out;
}

/**
 * A scheduler's `do_cleanup`: Kindling's schedulers keep no `workers` rows (a volume they were
 * placing is placed again by `sweepUnscheduled`), so the rows found, if any, are claimed and removed.
 */
export async function schedulerDoCleanup(
  deps: CoreDeps,
  serviceId: number | null,
  req: CleanupRequest,
): Promise<void> {
  if (serviceId === null || req.service_id === undefined || req.service_id === null) return;
  const db = deps.dbh.db;
  const rows = await workerGetAll(db, {
    service_id: req.service_id ?? null,
    resource_type: req.resource_type ?? null,
    resource_id: req.resource_id ?? null,
    until: req.until ?? isoNow(),
  });
  for (const row of rows)
    if (await workerClaimForCleanup(db, serviceId, row)) await workerDestroy(db, row.id);
  deps.log.info(`Service ${req.service_id ?? ''} cleanup completed.`);
}
