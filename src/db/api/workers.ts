import type { Db } from './common.js';
import { isoNow } from '../time.js';

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
}

/** Records that `serviceId` now works on a resource (replacing any older row for it). */
export async function workerStart(
  db: Db,
  w: { resource_type: string; resource_id: string; status: string; service_id: number | null },
): Promise<void> {
  await db
    .deleteFrom('workers')
    .where('resource_type', '=', w.resource_type)
    .where('resource_id', '=', w.resource_id)
    .execute();
  await db
    .insertInto('workers')
    .values({ ...w, cleaning: 0, created_at: isoNow(), deleted: 0 })
    .execute();
}

/** The work on a resource is over (done, failed cleanly, or handed to another service). */
export async function workerFinish(db: Db, resourceType: string, resourceId: string): Promise<void> {
  await db
    .deleteFrom('workers')
    .where('resource_type', '=', resourceType)
    .where('resource_id', '=', resourceId)
    .execute();
}

/** Unfinished work of one service. */
export async function workersOfService(db: Db, serviceId: number): Promise<WorkerRow[]> {
  return db
    .selectFrom('workers')
    .select(['id', 'resource_type', 'resource_id', 'status', 'service_id'])
    .where('service_id', '=', serviceId)
    .execute();
}
