/**
 * Cinder's RBD `clone_image`: a volume from a Glance image whose data sits in the same Ceph
 * cluster (Glance's rbd store) is a copy-on-write clone of the image's snapshot, made in
 * milliseconds whatever the image's size, instead of a download and a write.
 *
 * An image location is cloneable (`_is_cloneable`) when it is `rbd://<fsid>/<pool>/<image>/<snap>`
 * (`_parse_location`: four non-empty, URL-decoded parts), `<fsid>` is this cluster's, the image is
 * `disk_format` raw — Kindling also wants `container_format` bare when one is given, where Cinder
 * Zed checks the disk format only (the bytes of an `ova` or `docker` container are no disk) — and
 * the snapshot can be opened with the backend's credentials. The locations tried are Glance's
 * `locations` (all of them, in order), or `direct_url` when Glance shows no list.
 *
 * The clone (`_clone`) is `rbd clone <pool>/<image>@<snap> <rbd_pool>/volume-<id>` with the larger
 * of the image's stripe unit and `rbd_store_chunk_size` as object size, then `_setup_volume`, then
 * `rbd resize` to the volume's size. NOTE: Cinder Zed never flattens such a clone; Kindling
 * flattens it, as issue 12 asks, when `rbd_flatten_volume_from_snapshot` is set (the image's
 * `snap` is a snapshot) or when the image already stands `rbd_max_clone_depth` clones deep (its
 * parents, any pool; a Glance image usually has none, so this is `rbd_max_clone_depth = 0`, "no
 * clones"). With the defaults the volume stays a clone, as in Cinder: Glance cannot delete the
 * image while volumes read from it.
 */
import { ImageUnacceptable, RbdCommandError, RbdImageExists } from '../../common/errors.js';
import { GiB, type DriverVolume, type ImageLocationInfo, type ModelUpdate } from '../driver.js';
import type { CephCli } from './rbd-cli.js';
import type { RbdImageInfo } from './rbd-json.js';

const MiB = 1024 ** 2;

/** What `clone_image` needs of the RBD driver. */
export interface CloneImageDeps {
  readonly cli: CephCli;
  readonly pool: string;
  readonly chunkSizeMiB: number;
  readonly flattenFromSnapshot: boolean;
  readonly maxCloneDepth: number;
  /** This cluster's FSID. */
  fsid(): Promise<string>;
  /** The driver's `_setup_volume` for the new image (removing it when that fails). */
  setup(volume: DriverVolume): Promise<ModelUpdate | null>;
  readonly log: { info(obj: object, msg: string): void };
}

/** `_parse_location`: `[fsid, pool, image, snapshot]` of an `rbd://` location. */
export function parseRbdLocation(location: string): [string, string, string, string] {
  const prefix = 'rbd://';
  if (!location.startsWith(prefix)) throw new ImageUnacceptable(location, 'Not stored in rbd');
  let pieces: string[];
  try {
    pieces = location
      .slice(prefix.length)
      .split('/')
      .map((p) => decodeURIComponent(p));
  } catch {
    throw new ImageUnacceptable(location, 'Malformed escape');
  }
  if (pieces.some((p) => p === '')) throw new ImageUnacceptable(location, 'Blank components');
  if (pieces.length !== 4) throw new ImageUnacceptable(location, 'Not an rbd snapshot');
  return pieces as [string, string, string, string];
}

function spec(pool: string, image: string, snap?: string): string {
  return `${pool}/${image}${snap === undefined ? '' : `@${snap}`}`;
}

/**
 * `_is_cloneable`: the image's snapshot (its `rbd info`), or why `location` cannot be cloned here.
 */
export async function cloneableSnapshot(
  d: CloneImageDeps,
  location: string,
  meta: Readonly<Record<string, unknown>>,
): Promise<{ info: RbdImageInfo } | { why: string }> {
  let fsid: string, pool: string, image: string, snap: string;
  try {
    [fsid, pool, image, snap] = parseRbdLocation(location);
  } catch (e) {
    return { why: `not cloneable: ${(e as Error).message}` };
  }
  if ((await d.fsid()) !== fsid) return { why: `${location} is in a different ceph cluster` };
  if (meta.disk_format !== 'raw')
    return {
      why: `rbd image clone requires image format to be 'raw' but image ${location} is '${String(meta.disk_format)}'`,
    };
  if (
    meta.container_format !== undefined &&
    meta.container_format !== null &&
    meta.container_format !== 'bare'
  )
    return {
      why: `image ${location} is in a ${JSON.stringify(meta.container_format)} container, not 'bare'`,
    };
  try {
    return { info: await d.cli.rbdJson<RbdImageInfo>(['info', spec(pool, image, snap)]) };
  } catch (e) {
    if (!(e instanceof RbdCommandError)) throw e;
    return { why: `Unable to open image ${location}: ${e.message}` };
  }
}

/**
 * Parents standing behind an image whose `rbd info` is `info` (any pool; Cinder's
 * `_get_clone_depth` counts its own `.clone_snap` chains only).
 */
async function parentDepth(d: CloneImageDeps, info: RbdImageInfo): Promise<number> {
  let depth = 0;
  for (let parent = info.parent; parent; depth++) {
    if (depth > 64) break; // NOTE: a loop would be a broken cluster; stop counting
    parent = (await d.cli.rbdJson<RbdImageInfo>(['info', spec(parent.pool, parent.image)])).parent;
  }
  return depth;
}

/** Cinder's `clone_image` (see the file's comment). */
export async function cloneImage(
  d: CloneImageDeps,
  volume: DriverVolume,
  location: ImageLocationInfo,
  meta: Readonly<Record<string, unknown>>,
): Promise<{ update: ModelUpdate | null; cloned: boolean }> {
  const urls = location.locations.length ? location.locations.map((l) => l.url) : [location.directUrl];
  for (const url of urls) {
    if (!url) continue;
    const found = await cloneableSnapshot(d, url, meta);
    if ('why' in found) {
      d.log.info(
        { volume: volume.name, location: url, reason: found.why },
        'rbd driver: image not cloneable',
      );
      continue;
    }
    const src = found.info;
    const [, pool, image, snap] = parseRbdLocation(url);
    // (a snapshot shows its image's layout: object size, stripe unit, parent)
    const stripe = Math.max(src.stripe_unit ?? src.object_size, d.chunkSizeMiB * MiB);
    try {
      await d.cli.rbd([
        'clone',
        '--object-size',
        String(2 ** Math.floor(Math.log2(stripe))),
        spec(pool, image, snap),
        spec(d.pool, volume.name),
      ]);
    } catch (e) {
      // NOTE: a resumed create finds its clone made.
      if (!(e instanceof RbdImageExists)) throw e;
    }
    const update = await d.setup(volume);
    const depth = await parentDepth(d, src);
    if (d.flattenFromSnapshot || depth >= d.maxCloneDepth) {
      d.log.info(
        { volume: volume.name, depth, rbd_flatten_volume_from_snapshot: d.flattenFromSnapshot },
        'rbd driver: flattening the clone of the image',
      );
      await d.cli.rbd(['flatten', '--no-progress', spec(d.pool, volume.name)], 'data');
    }
    // Cinder's `_resize(volume)`. NOTE: the CLI refuses a resize to the same size (librbd does
    // not): an image of exactly the volume's size is left alone, and a resumed create may find
    // its clone grown already.
    if (src.size < volume.size * GiB) {
      const target = spec(d.pool, volume.name);
      try {
        await d.cli.rbd(['resize', '--no-progress', '--size', `${volume.size}G`, target]);
      } catch (e) {
        if (!(e instanceof RbdCommandError)) throw e;
        if ((await d.cli.rbdJson<RbdImageInfo>(['info', target])).size !== volume.size * GiB) throw e;
      }
    }
    d.log.info(
      { volume: volume.name, parent: spec(pool, image, snap) },
      'rbd driver: volume cloned from image',
    );
    return { update, cloned: true };
  }
  return { update: null, cloned: false };
}
