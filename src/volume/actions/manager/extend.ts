/**
 * `extend_volume` on the volume's backend (Cinder's scheduler `extend_volume` check, then the
 * manager's `extend_volume`): room on the pool, then the driver grows the volume; the reserved GiB
 * are committed with the new size, or rolled back on any failure.
 *
 * | outcome | volume | quota | user message |
 * |---|---|---|---|
 * | grown | `available` (`in-use` when attached), new size | committed | — |
 * | no room / cannot extend attached | previous status | rolled back | `extend volume:Could not find any available weighted backend.` |
 * | driver failed | `error_extending` | rolled back | `extend volume:Volume Driver failed to extend volume.` |
 */
import type { RequestContext } from '../../../common/context.js';
import { NoValidBackend } from '../../../common/errors.js';
import { extractHost } from '../../../common/host.js';
import { volumeConditionalUpdate, volumeGet, type VolumeRecord } from '../../../db/api/volumes.js';
import { volumeTypeGet } from '../../../db/api/volume-types.js';
import { Action, Detail, Resource } from '../../../message/message-field.js';
import { volumeUsagePayload } from '../../../notify/volume-usage.js';
import { toDriverVolume } from '../../driver-volume.js';
import type { ExtendVolumeArgs } from '../../rpcapi.js';
import { actionLog, ownPool, poolHasRoom, poolSatisfies, publisher, type ActionBackend } from './backend.js';

/** Why the pool cannot take the extend (Cinder's scheduler `backend_passes_filters`), or null. */
async function noRoomReason(
  b: ActionBackend,
  v: VolumeRecord,
  newSize: number,
  specs: Record<string, string>,
) {
  const pool = await ownPool(b, extractHost(v.host, 'pool'));
  const spec = {
    operation: 'extend_volume',
    volume_properties: { size: v.size, attach_status: v.attach_status },
  };
  if (pool && poolSatisfies(pool, specs, spec) && poolHasRoom(pool, specs, v.size, newSize)) return null;
  return `Cannot place volume ${v.id} on ${v.host}.`;
}

export async function extendOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  a: ExtendVolumeArgs,
): Promise<void> {
  const { deps } = b;
  const db = deps.dbh.db;
  const log = actionLog(b, ctx, a.volume_id);
  const v = await volumeGet(db, a.volume_id);
  if (!v || v.status !== 'extending' || !(await b.takeIfOurs(v))) {
    // NOTE: a redelivery after the work was done (its reservations are gone: a no-op), or a
    // volume reset meanwhile: what was reserved for it is given back.
    log.info({ status: v?.status }, 'extend_volume: nothing to do');
    await deps.quotas.rollback(a.reservations);
    return;
  }
  const fail = async (
    status: string,
    previous: string | null,
    message: Parameters<typeof deps.messages.create>[2] | null,
  ) => {
    await deps.quotas.rollback(a.reservations);
    await volumeConditionalUpdate(db, v.id, { status, previous_status: previous }, { status: ['extending'] });
    if (message) await deps.messages.create(ctx, Action.EXTEND_VOLUME, message);
  };
  if (!b.initialized()) {
    log.error('extend_volume: driver not initialized');
    await fail('error_extending', v.previous_status, null);
    return;
  }
  const specs = (await volumeTypeGet(db, v.volume_type_id, true))?.extra_specs ?? {};
  const reason = await noRoomReason(b, v, a.new_size, specs);
  if (reason) {
    const err = new NoValidBackend(reason);
    log.warn({ reason }, 'extend_volume: the backend cannot take it');
    await fail(v.previous_status ?? 'available', null, {
      resourceType: Resource.VOLUME,
      resourceUuid: v.id,
      projectId: v.project_id,
      error: err,
    });
    await deps.notifier.notify(
      `scheduler.${b.host}`,
      'scheduler.extend_volume',
      { volume_id: v.id, state: { status: v.previous_status }, method: 'extend_volume', reason: err.message },
      'ERROR',
    );
    return;
  }

  await deps.notifier.notify(publisher(b), 'volume.resize.start', volumeUsagePayload(v));
  try {
    await b.driver.extendVolume(toDriverVolume(v, specs), a.new_size);
  } catch (e) {
    log.error({ err: e }, 'Extend volume failed.');
    await fail('error_extending', v.previous_status, {
      resourceType: Resource.VOLUME,
      resourceUuid: v.id,
      projectId: v.project_id,
      detail: Detail.DRIVER_FAILED_EXTEND,
    });
    return;
  }
  await deps.quotas.commit(a.reservations);
  // The volume goes back to what it was: `in-use` for an attached one (3.42), else `available`.
  const status = v.previous_status === 'in-use' ? 'in-use' : 'available';
  await volumeConditionalUpdate(db, v.id, { size: a.new_size, status }, { status: ['extending'] });
  const after = (await volumeGet(db, v.id)) ?? { ...v, size: a.new_size, status };
  await deps.notifier.notify(publisher(b), 'volume.resize.end', {
    ...volumeUsagePayload(after),
    size: a.new_size,
  });
  await b.publishCapabilities();
  log.info({ new_size: a.new_size }, 'Extend volume completed successfully.');
}
