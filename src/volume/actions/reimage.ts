/**
 * `os-reimage` (3.68), API side (Cinder's `volume/api.py` `reimage`): the volume goes
 * `downloading` (compare-and-swap from `available` or `error`, and `reserved` with
 * `reimage_reserved`; its status kept in `previous_status`), the image is checked as for a create
 * from it (active, size, `min_disk`, virtual size), and `reimage` is cast to the volume's backend,
 * which writes the image over the volume (actions/manager/reimage.ts).
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { Conflict, ImageNotFound, InvalidVolume } from '../../common/errors.js';
import type { VolumeRecord } from '../../db/api/volumes.js';
import { volumeConditionalUpdate } from '../../db/api/volumes.js';
import type { ImageMeta } from '../../image/image-record.js';
import { checkImageMetadata } from '../../image/image-utils.js';
import { buildOrStr } from '../attachments/status-words.js';
import { undoSwap, type ActionDeps } from './common.js';

export async function reimageVolume(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  imageId: string,
  reimageReserved: boolean,
): Promise<void> {
  authorize(ctx, v.status === 'reserved' ? 'volume:reimage_reserved' : 'volume:reimage', v.project_id);
  if (v.volume_attachment.length > 1)
    throw new Conflict('Cannot re-image a volume which is attached to more than one server.');
  const expected = reimageReserved ? ['available', 'error', 'reserved'] : ['available', 'error'];
  const swapped = { status: 'downloading', previous_status: v.status };
  if (!(await volumeConditionalUpdate(d.core.dbh.db, v.id, swapped, { status: expected })))
    throw new InvalidVolume(
      `Volume ${v.id} status must be ${buildOrStr(expected)}, but current status is ${v.status}.`,
    );
  let meta: ImageMeta;
  try {
    const images = d.volumes.images;
    // NOTE: without an image service no image can be found (as a create from an image answers).
    if (!images) throw new ImageNotFound(imageId);
    meta = await images.showMeta(ctx, imageId);
    checkImageMetadata(meta, v.size);
  } catch (e) {
    // NOTE: Cinder leaves the volume `downloading` when the image is missing or refused here;
    // Kindling gives it its status back.
    await undoSwap(d.core, v.id, { status: v.status, previous_status: v.previous_status }, swapped);
    throw e;
  }
  try {
    await d.rpc.reimage(
      ctx,
      { host: v.host!, cluster_name: v.cluster_name },
      { volume_id: v.id, image_meta: { ...meta, id: imageId } },
    );
  } catch (e) {
    await undoSwap(d.core, v.id, { status: v.status, previous_status: v.previous_status }, swapped);
    throw e;
  }
}
