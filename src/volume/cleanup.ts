/**
 * Cinder's `CleanableManager.do_cleanup` for a volume service: the `workers` rows of a service
 * (this one at its start, a dead member of its cluster, or whatever `POST /workers/cleanup` names)
 * are claimed one by one — a compare-and-swap on the row, so of two services cleaning one service
 * only one works on each resource — and their resources are finished or reset.
 */
import type { CoreDeps } from '../common/deps.js';
import { snapshotGet } from '../db/api/snapshots.js';
import { volumeConditionalUpdate, volumeGet } from '../db/api/volumes.js';
import {
  workerClaimForCleanup,
  workerDestroy,
  workerGetAll,
  workerUnclaim,
  type WorkerRow,
} from '../db/api/workers.js';
import { isoNow } from '../common/time.js';
import type { CleanupRequest } from './rpcapi.js';

/** What a volume service does to one resource found in a claimed `workers` row. */
export interface CleanupActions {
  /** The claiming service's row id. */
  serviceId: number | null;
  /** Resume a create (Kindling: drivers make creates idempotent). */
  resumeCreate(volumeId: string): Promise<void>;
  /** Run a delete again. */
  retryDelete(volumeId: string): Promise<void>;
  resumeSnapshotCreate(snapshotId: string): Promise<void>;
  retrySnapshotDelete(snapshotId: string): Promise<void>;
}

/** One cleaned row: the resource, the status it was left in, and what was done. */
export interface CleanedWork {
  resource_type: string;
  resource_id: string;
  status: string;
  action: 'resumed' | 'retried' | 'reset' | 'skipped';
}

/**
 * Cleans the rows matching `req`. Each row is claimed first (Cinder's `worker_claim_for_cleanup`);
 * a row another service claimed, or whose service started it again, is left alone. A row whose
 * resource is gone or no longer in the row's status is just removed. A cleanup that fails gives
 * the row back to its service, for a later try.
 */
export async function doCleanup(
  deps: CoreDeps,
  actions: CleanupActions,
  req: CleanupRequest,
): Promise<CleanedWork[]> {
  const db = deps.dbh.db;
  const me = actions.serviceId;
  // NOTE: every request names the service to clean (the scheduler sets it per service).
  if (me === null || req.service_id === undefined || req.service_id === null) return [];
  const log = deps.log.child({ component: 'cleanup', service_id: me });
  const rows = await workerGetAll(db, {
    service_id: req.service_id ?? null,
    resource_type: req.resource_type ?? null,
    resource_id: req.resource_id ?? null,
    until: req.until ?? isoNow(),
  });
  // NOTE: the periodic look at dead members finds nothing most of the time: no line then.
  if (!rows.length) return [];
  log.info({ cleaning: req.service_id ?? null }, `Initiating service ${req.service_id ?? ''} cleanup`);
  const out: CleanedWork[] = [];
  for (const row of rows) {
    if (!(await workerClaimForCleanup(db, me, row))) continue;
    let action: CleanedWork['action'];
    try {
      action = await cleanOne(deps, actions, row);
    } catch (e) {
      log.error({ err: e, resource_id: row.resource_id }, 'Could not perform cleanup.');
      await workerUnclaim(db, row, row);
      continue;
    }
    // NOTE: a resumed or retried operation wrote and removed its own row; this one may be gone.
    await workerDestroy(db, row.id);
    out.push({ resource_type: row.resource_type, resource_id: row.resource_id, status: row.status, action });
  }
  log.info({ cleaned: out }, `Service ${req.service_id ?? ''} cleanup completed.`);
  return out;
}

/**
 * Cinder's `VolumeManager._do_cleanup`, with Kindling's resumes: a volume left `creating` is
 * created (the driver's create is idempotent) rather than put in `error`; `deleting` is deleted
 * again; `downloading` goes to `error` and `uploading` back to `available`/`in-use`, as Cinder's.
 * A snapshot left `creating` is made, one left `deleting` deleted.
 */
async function cleanOne(deps: CoreDeps, a: CleanupActions, row: WorkerRow): Promise<CleanedWork['action']> {
  const db = deps.dbh.db;
  if (row.resource_type === 'Volume') {
    const v = await volumeGet(db, row.resource_id);
    if (!v || v.status !== row.status) return 'skipped';
    switch (v.status) {
      case 'creating':
        await a.resumeCreate(v.id);
        return 'resumed';
      case 'deleting':
        await a.retryDelete(v.id);
        return 'retried';
      case 'downloading':
        await volumeConditionalUpdate(db, v.id, { status: 'error' }, { status: ['downloading'] });
        return 'reset';
      case 'uploading':
        await volumeConditionalUpdate(
          db,
          v.id,
          { status: v.attach_status === 'attached' ? 'in-use' : 'available' },
          { status: ['uploading'] },
        );
        return 'reset';
      default:
        return 'skipped';
    }
  }
  if (row.resource_type === 'Snapshot') {
    const s = await snapshotGet(db, row.resource_id);
    if (!s || s.status !== row.status) return 'skipped';
    if (s.status === 'creating') {
      await a.resumeSnapshotCreate(s.id);
      return 'resumed';
    }
    if (s.status === 'deleting') {
      await a.retrySnapshotDelete(s.id);
      return 'retried';
    }
  }
  return 'skipped';
}
