import type { RequestContext } from '../../common/context.js';
import { workerFinish, workerStart } from '../../db/api/workers.js';
import { volumeGet } from '../../db/api/volumes.js';
import { DynamicLogListener, Engine } from '../../flow/index.js';
import { flowTraceListener } from '../../flow-trace/store.js';
import { requestSpecFromVolume } from '../../scheduler/request-spec.js';
import type { FilterProperties, RequestSpec } from '../../scheduler/types.js';
import { getFlow, type RescheduleState } from '../flows/manager/create-volume.js';
import { serialized, takeIfOurs, type ManagerBackend } from './backend.js';

/**
 * `create_volume`: runs the manager flow, once per volume at a time. A message for a volume that
 * is no longer `creating` on this backend (a redelivery after a crash, a stale reschedule) is
 * dropped. `requestSpec` null (a resumed create) is rebuilt from the row.
 */
export async function createVolume(
  b: ManagerBackend,
  ctx: RequestContext,
  volumeId: string,
  requestSpec: RequestSpec | null,
  filterProperties: FilterProperties,
  allowReschedule: boolean,
): Promise<void> {
  await serialized(b, volumeId, async () => {
    const db = b.deps.dbh.db;
    const v = await volumeGet(db, volumeId);
    if (!v || v.status !== 'creating' || !(await takeIfOurs(b, v))) {
      b.deps.log.info(
        { volume_id: volumeId, status: v?.status, host: v?.host },
        'create_volume: nothing to do',
      );
      return;
    }
    const spec = requestSpec ?? (await requestSpecFromVolume(db, v));
    await workerStart(db, {
      resource_type: 'Volume',
      resource_id: volumeId,
      status: 'creating',
      service_id: b.serviceId(),
    });
    const state: RescheduleState = { rescheduled: false };
    const c = b.flowContext();
    const log = b.deps.log.child({ request_id: ctx.requestId, volume_id: volumeId, host: b.host });
    const flow = getFlow(c);
    const trace = flowTraceListener(b.deps, flow, {
      volumeId,
      projectId: v.project_id,
      requestId: ctx.requestId,
      host: b.host,
    });
    const engine = new Engine(
      flow,
      {
        context: ctx,
        volume_id: volumeId,
        volume_row: v,
        request_spec: spec,
        filter_properties: filterProperties,
        allow_reschedule: allowReschedule,
        reschedule_state: state,
      },
      [new DynamicLogListener(log), trace],
    );
    try {
      await engine.run();
    } catch (e) {
      log.warn({ err: e, rescheduled: state.rescheduled }, 'create_volume failed');
    } finally {
      await workerFinish(db, 'Volume', volumeId);
    }
  });
}
