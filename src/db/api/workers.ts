import type { Db } from './common.js';
import { isoNow } from '../../common/time.js';
import { preparedQuery } from '../prepared-query.js';

/**
 * The `workers` table (Cinder's cleanup anchor): a row says "service S is working on resource R,
 * which is in status X". A service that restarts finds its rows and finishes or undoes that work.
 */
export interface WorkerRow {
  id: number;
  resource_type: string;
  resource_id: string;
  status: string;
  service_id: number | null;
  updated_at: string | null;
  race_preventer: number;
}

interface WorkerStart {
  resource_type: string;
  resource_id: string;
  status: string;
  service_id: number | null;
}

const deleteWorker = preparedQuery((db, v: { resource_type: string; resource_id: string }) =>
  db
    .deleteFrom('workers')
    .where('resource_type', '=', v.resource_type)
    .where('resource_id', '=', v.resource_id),
);

const insertWorker = preparedQuery((db, v: WorkerStart & { now: string }) =>
  db.insertInto('workers').values({
    resource_type: v.resource_type,
    resource_id: v.resource_id,
    status: v.status,
    service_id: v.service_id,
    cleaning: 0,
    created_at: v.now,
    updated_at: v.now,
    deleted: 0,
  }),
);

/** Records that `serviceId` now works on a resource (replacing any older row for it). */
export async function workerStart(db: Db, w: WorkerStart): Promise<void> {
  await deleteWorker(db, { resource_type: w.resource_type, resource_id: w.resource_id });
  const { resource_type, resource_id, status, service_id } = w;
  await insertWorker(db, { resource_type, resource_id, status, service_id, now: isoNow() });
}

/** The work on a resource is over (done, failed cleanly, or handed to another service). */
export async function workerFinish(db: Db, resourceType: string, resourceId: string): Promise<void> {
  await deleteWorker(db, { resource_type: resourceType, resource_id: resourceId });
}

/** Unfinished work of one service. */
export async function workersOfService(db: Db, serviceId: number): Promise<WorkerRow[]> {
  return db.selectFrom('workers').select(WORKER_COLUMNS).where('service_id', '=', serviceId).execute();
}

const WORKER_COLUMNS = [
  'id',
  'resource_type',
  'resource_id',
  'status',
  'service_id',
  'updated_at',
  'race_preventer',
] as const;

/** Filters of Cinder's `worker_get_all` (each optional); `until`: rows not touched after it. */
export interface WorkerFilters {
  service_id?: number | null;
  resource_type?: string | null;
  resource_id?: string | null;
  binary?: string | null;
  until?: string | null;
}

/** Cinder's `worker_get_all`: the rows matching every filter given (`binary` is the service's). */
export async function workerGetAll(db: Db, f: WorkerFilters): Promise<WorkerRow[]> {
  let q = db.selectFrom('workers').select(WORKER_COLUMNS.map((c) => `workers.${c}` as const));
  if (f.service_id !== undefined && f.service_id !== null)
    q = q.where('workers.service_id', '=', f.service_id);
  if (f.resource_type) q = q.where('workers.resource_type', '=', f.resource_type);
  if (f.resource_id) q = q.where('workers.resource_id', '=', f.resource_id);
  if (f.until) q = q.where('workers.updated_at', '<=', f.until);
  if (f.binary)
    q = q.innerJoin('services', 'services.id', 'workers.service_id').where('services.binary', '=', f.binary);
  return q.orderBy('workers.id').execute();
}

/**
 * Cinder's `worker_claim_for_cleanup`: `claimerId` takes the row over for cleanup only while it is
 * still exactly as read (same service, status, race counter and time), so of services claiming it
 * at once only one wins; a row the service started again since (a newer operation) is not taken.
 */
export async function workerClaimForCleanup(db: Db, claimerId: number, w: WorkerRow): Promise<boolean> {
  let q = db
    .updateTable('workers')
    .set({ service_id: claimerId, race_preventer: w.race_preventer + 1, cleaning: 1, updated_at: isoNow() })
    .where('id', '=', w.id)
    .where('status', '=', w.status)
    .where('race_preventer', '=', w.race_preventer);
  q = w.service_id === null ? q.where('service_id', 'is', null) : q.where('service_id', '=', w.service_id);
  q = w.updated_at === null ? q.where('updated_at', 'is', null) : q.where('updated_at', '=', w.updated_at);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Gives a claimed row back to the service it was taken from (a cleanup that failed). */
export async function workerUnclaim(db: Db, claimed: { id: number }, original: WorkerRow): Promise<void> {
  await db
    .updateTable('workers')
    .set((eb) => ({
      service_id: original.service_id,
      updated_at: original.updated_at,
      cleaning: 0,
      race_preventer: eb('race_preventer', '+', 1),
    }))
    .where('id', '=', claimed.id)
    .execute();
}

/** Removes one worker row by id (no soft delete, as Cinder's `worker_destroy`). */
export async function workerDestroy(db: Db, id: number): Promise<boolean> {
  const r = await db.deleteFrom('workers').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
