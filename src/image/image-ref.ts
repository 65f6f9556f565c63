/**
 * Cinder's `_image_uuid_from_ref` (api/v2/volumes.py): the image a volume create's `imageRef`
 * names — an id, an href ending in an id, or a name — checked against Glance with the caller's
 * rights. Every failure to find exactly one image is Cinder's 400, except several images of that
 * name: 409.
 */
import type { RequestContext } from '../common/context.js';
import { BadRequest, Conflict } from '../common/errors.js';
import { isUuidLike } from '../common/uuid.js';
import type { GlanceImageService } from './glance.js';

/** The part of the image service the lookup uses. */
export type ImageLookup = Pick<GlanceImageService, 'show' | 'list'>;

/**
 * The id of the image `imageRef` names.
 * @throws BadRequest `Invalid imageRef provided.` for a non-string, `Invalid image identifier or
 *   unable to access requested image.` when no image is found (or Glance cannot be asked)
 * @throws Conflict `Multiple matches found for '<ref>', use an ID to be more specific.`
 */
export async function resolveImageRef(
  images: ImageLookup,
  ctx: RequestContext,
  imageRef: unknown,
): Promise<string> {
  if (typeof imageRef !== 'string') throw new BadRequest('Invalid imageRef provided.');
  // an href made by Nova's API: its last path element is the id
  const candidate = imageRef.split('/').pop() ?? '';
  if (isUuidLike(candidate)) {
    try {
      const image = await images.show(ctx, candidate);
      if (image.id) return image.id;
    } catch {
      // not an id after all (or not visible): look for an image of that name
    }
  }
  let matches: { readonly id: string }[];
  try {
    matches = await images.list(ctx, { name: imageRef });
  } catch {
    matches = [];
  }
  if (matches.length > 1)
    throw new Conflict(`Multiple matches found for '${imageRef}', use an ID to be more specific.`);
  if (matches[0]) return matches[0].id;
  throw new BadRequest('Invalid image identifier or unable to access requested image.');
}
