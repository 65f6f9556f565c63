/**
 * The `workers` rows as `POST /workers/cleanup` reads them (Cinder's `objects.WorkerList.get_all`
 * in `api/v3/workers.py`): which service has a resource's unfinished work. The cleaning itself is
 * cleanup.ts.
 */
import type { Db } from '../db/api/common.js';
import { workerGetAll, type WorkerFilters, type WorkerRow } from '../db/api/workers.js';

/** The rows matching every filter given (`binary` is the service's). */
export function listPendingWork(db: Db, filters: WorkerFilters): Promise<WorkerRow[]> {
  return workerGetAll(db, filters);
}
