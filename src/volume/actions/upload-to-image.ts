/**
 * `os-volume_upload_image`, API side (Cinder's `VolumeActionsController._volume_upload_image` and
 * `volume/api.py` `copy_volume_to_image`): the volume goes `uploading` (compare-and-swap, its
 * status kept in `previous_status`), Glance makes a `queued` image whose properties carry the
 * volume's image metadata, and `copy_volume_to_image` is cast to the volume's backend, which
 * uploads the bytes (actions/manager/upload-to-image.ts). The answer describes the new image.
 *
 * As in Cinder, everything that goes wrong once the volume is found and the caller authorized is
 * a 400 with the error's text (a status refused, Glance unreachable or refusing the image); the
 * volume then has its status back.
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import {
  BadRequest,
  GlanceConnectionFailed,
  ImageCompressionNotAllowed,
  InvalidVolume,
  PolicyNotAuthorized,
} from '../../common/errors.js';
import type { VolumeRecord } from '../../db/api/volumes.js';
import { volumeConditionalUpdate } from '../../db/api/volumes.js';
import { volumeTypeGet, volumeTypeRowGet } from '../../db/api/volume-types.js';
import { toImageMeta, type ImageCreateMeta, type ImageMeta } from '../../image/image-record.js';
import { buildOrStr } from '../attachments/status-words.js';
import { undoSwap, type ActionDeps } from './common.js';

/** What the request asked for (the schema already checked it). */
export interface UploadImageRequest {
  readonly imageName: string;
  /** `force`, as given: an `in-use` volume too (only with `enable_force_upload`). */
  readonly force: boolean;
  /** `disk_format` (default `raw`). */
  readonly diskFormat: string;
  /** `container_format` (default `bare`; null when the body says null, as Cinder passes it on). */
  readonly containerFormat: string | null;
  /** 3.1+: `visibility` (default `private`) and `protected` (default false). */
  readonly visibility?: 'public' | 'private' | 'shared' | 'community';
  readonly protected?: boolean;
}

/** Image-metadata keys Glance keeps for itself, never copied to an image (`GLANCE_RESERVED_NAMESPACES`). */
const GLANCE_RESERVED_NAMESPACES = ['os_glance', 'img_signature'];

/**
 * Cinder's `_merge_volume_image_meta` then `filter_out_reserved_namespaces_metadata`: the volume's
 * image metadata, without `glance_core_properties` and the keys the request sets itself, becomes
 * the new image's properties; keys in reserved namespaces are dropped everywhere.
 */
export function uploadImageMeta(
  request: Record<string, unknown>,
  volumeImageMetadata: Readonly<Record<string, string>>,
  o: { glance_core_properties: readonly string[]; reserved_image_namespaces: readonly string[] },
): ImageCreateMeta {
  const meta: Record<string, unknown> = { ...request };
  if (o.glance_core_properties.length) {
    const custom = Object.keys(volumeImageMetadata).filter((k) => !o.glance_core_properties.includes(k));
    // NOTE: as Cinder, `properties` is set (maybe empty) only when some custom key exists.
    if (custom.length)
      meta.properties = Object.fromEntries(
        custom.filter((k) => !Object.hasOwn(request, k)).map((k) => [k, volumeImageMetadata[k]]),
      );
  }
  const reserved = [...GLANCE_RESERVED_NAMESPACES];
  for (const ns of o.reserved_image_namespaces) if (!reserved.includes(ns)) reserved.push(ns);
  const keep = (k: string) => !reserved.some((ns) => k.startsWith(ns));
  const out = Object.fromEntries(Object.entries(meta).filter(([k]) => keep(k)));
  if (isRecord(out.properties))
    out.properties = Object.fromEntries(Object.entries(out.properties).filter(([k]) => keep(k)));
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The volume's type as Cinder's answer shows it: the `VolumeType` object's fields (null for a
 * volume without a type).
 */
async function volumeTypeView(d: ActionDeps, typeId: string | null): Promise<Record<string, unknown> | null> {
  if (!typeId) return null;
  const db = d.core.dbh.db;
  const row = await volumeTypeRowGet(db, typeId);
  const type = await volumeTypeGet(db, typeId, true);
  if (!row || !type) return null;
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    is_public: row.is_public === 1,
    extra_specs: type.extra_specs,
    qos_specs_id: row.qos_specs_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at,
    deleted: row.deleted === 1,
  };
}

/** Uploads `v` to a new image; the `os-volume_upload_image` object of the 202 answer. */
export async function uploadToImage(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  r: UploadImageRequest,
): Promise<Record<string, unknown>> {
  // NOTE: Cinder checks this policy without a target: the caller's own project.
  authorize(ctx, 'volume_extension:volume_actions:upload_image', ctx.projectId);
  const request: Record<string, unknown> = {
    container_format: r.containerFormat,
    disk_format: r.diskFormat,
    name: r.imageName,
  };
  if (r.visibility !== undefined) {
    request.visibility = r.visibility;
    request.protected = r.protected ?? false;
    if (r.visibility === 'public')
      authorize(ctx, 'volume_extension:volume_actions:upload_public', ctx.projectId);
  }
  try {
    return await copyVolumeToImage(d, ctx, v, request, r.force);
  } catch (e) {
    // NOTE: Cinder answers 400 with the text of whatever went wrong here.
    if (e instanceof PolicyNotAuthorized) throw e;
    throw new BadRequest(e instanceof Error ? e.message : String(e));
  }
}

/** Cinder's `volume/api.py` `copy_volume_to_image`. */
async function copyVolumeToImage(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  request: Record<string, unknown>,
  askedForce: boolean,
): Promise<Record<string, unknown>> {
  const cfg = d.core.config.DEFAULT;
  const log = d.core.log.child({ request_id: ctx.requestId, volume_id: v.id });
  let force = askedForce;
  if (force && !cfg.enable_force_upload) {
    log.info('Force upload to image is disabled, Force option will be ignored.');
    force = false;
  }
  const expected = force ? ['available', 'in-use'] : ['available'];
  const swapped = { status: 'uploading', previous_status: v.status };
  if (!(await volumeConditionalUpdate(d.core.dbh.db, v.id, swapped, { status: expected })))
    throw new InvalidVolume(`Volume ${v.id} status must be ${buildOrStr(expected)}`);
  // NOTE: as Cinder, a failure gives the volume its status back and clears previous_status.
  const giveBack = () => undoSwap(d.core, v.id, { status: v.status, previous_status: null }, swapped);

  let image: ImageMeta;
  try {
    const images = d.volumes.images;
    if (!images) throw new GlanceConnectionFailed('no image service is configured (glance_api_servers)');
    // NOTE: Cinder checks this after Glance made the image (and leaves the image behind); Kindling
    // checks first, so a refusal leaves nothing in Glance.
    if (request.container_format === 'compressed' && !cfg.allow_compression_on_image_upload)
      throw new ImageCompressionNotAllowed();
    const meta = uploadImageMeta(request, v.glance_metadata ?? {}, cfg);
    image = toImageMeta(await images.create(ctx, meta));
  } catch (e) {
    await giveBack();
    throw e;
  }

  try {
    await d.rpc.copyVolumeToImage(
      ctx,
      { host: v.host!, cluster_name: v.cluster_name },
      {
        volume_id: v.id,
        image_meta: {
          ...image,
          id: String(image.id),
          disk_format: image.disk_format as string | null,
          container_format: image.container_format as string | null,
        },
      },
    );
  } catch (e) {
    await giveBack();
    await d.volumes.images?.delete(ctx, String(image.id)).catch(() => undefined);
    throw e;
  }

  const answer: Record<string, unknown> = {
    id: v.id,
    updated_at: v.updated_at,
    status: 'uploading',
    display_description: v.display_description,
    size: v.size,
    volume_type: await volumeTypeView(d, v.volume_type_id),
    image_id: image.id,
    container_format: image.container_format,
    disk_format: image.disk_format,
    image_name: image.name ?? null,
  };
  if ('protected' in image) answer.protected = image.protected;
  if ('visibility' in image) answer.visibility = image.visibility;
  log.info({ image_id: image.id }, 'Copy volume to image completed successfully.');
  return answer;
}
