/**
 * The image-level steps of the `rbd` driver (rbd-driver.ts), as Cinder's RBD driver takes them:
 * image info and resize, the new image's setup (multiattach features), removal (to the trash when
 * it cannot go yet), snapshots taken and protected, clones and their chains (the parent a clone was
 * made from, its depth, the leftovers a deleted clone's parent leaves).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  RbdImageBusy,
  RbdImageExists,
  RbdImageHasSnapshots,
  RbdImageNotFound,
  RbdInvalidArgument,
  VolumeBackendAPIException,
} from '../../common/errors.js';
import type { DriverVolume, ModelUpdate } from '../driver.js';
import type { CephCli } from './rbd-cli.js';
import type { RbdImageInfo, RbdSnapInfo } from './rbd-json.js';

/** The little of a logger the image steps use (the driver's). */
export interface RbdImageLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What the functions here need of the driver. */
export interface RbdImageContext {
  readonly cli: CephCli;
  readonly pool: string;
  readonly log: RbdImageLogger;
}

/** Waits between attempts to remove a busy image (Cinder: rados_connection_interval 5, x2 backoff). */
const BUSY_RETRY_WAITS_MS = [5000, 10000];
/** Features Cinder turns off for multiattach volumes (one writer's exclusive lock would fence the others). */
const MULTIATTACH_EXCLUSIONS = ['journaling', 'fast-diff', 'object-map', 'exclusive-lock'] as const;
/** librbd's feature bits, for the `saved_features` Cinder keeps in provider_location. */
const FEATURE_BITS: Readonly<Record<string, number>> = {
  layering: 1,
  striping: 2,
  'exclusive-lock': 4,
  'object-map': 8,
  'fast-diff': 16,
  'deep-flatten': 32,
  journaling: 64,
  'data-pool': 128,
  operations: 256,
  migrating: 512,
  'non-primary': 1024,
};

/** Cinder's `_dumps`: compact JSON with sorted keys. */
function dumps(obj: Record<string, number | boolean>): string {
  const sorted = Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify(sorted);
}

function isTrue(spec: string | undefined): boolean {
  return spec === '<is> True';
}

/** `pool/image[@snap]`, as the CLIs name an image or a snapshot. */
export function imageSpec(c: RbdImageContext, image: string, snap?: string): string {
  return `${c.pool}/${image}${snap === undefined ? '' : `@${snap}`}`;
}

/** `rbd info` of an image or snapshot. */
export async function imageInfo(c: RbdImageContext, image: string, snap?: string): Promise<RbdImageInfo> {
  return c.cli.rbdJson<RbdImageInfo>(['info', imageSpec(c, image, snap)]);
}

/** `rbd resize` to `gb` GiB. */
export async function resizeImage(c: RbdImageContext, image: string, gb: number): Promise<void> {
  await c.cli.rbd(['resize', '--no-progress', '--size', `${gb}G`, imageSpec(c, image)]);
}

/**
 * Cinder's `_setup_volume` for a new image: a multiattach type turns off the features that would
 * let one client fence the others and keeps them in provider_location. A replicated type needs
 * RBD mirroring, which this driver does not set up: such a type is refused.
 */
export async function setupVolume(c: RbdImageContext, volume: DriverVolume): Promise<ModelUpdate | null> {
  const specs = volume.volume_type_extra_specs ?? {};
  const multiattach = isTrue(specs.multiattach);
  if (isTrue(specs.replication_enabled))
    throw new VolumeBackendAPIException(
      `Volume ${volume.id}: replication_enabled types need RBD mirroring, which this backend does not provide`,
    );
  if (!multiattach) return null;
  const features = (await imageInfo(c, volume.name)).features;
  const off = MULTIATTACH_EXCLUSIONS.filter((f) => features.includes(f));
  if (off.length) await c.cli.rbd(['feature', 'disable', imageSpec(c, volume.name), ...off]);
  const saved = features.reduce((bits, f) => bits | (FEATURE_BITS[f] ?? 0), 0);
  return { provider_location: dumps({ saved_features: saved }) };
}

/** `_setup_volume`, removing the new image when it fails (as Cinder does). */
export async function setupOrRemove(c: RbdImageContext, volume: DriverVolume): Promise<ModelUpdate | null> {
  try {
    return await setupVolume(c, volume);
  } catch (e) {
    await c.cli.rbd(['rm', '--no-progress', imageSpec(c, volume.name)], 'data').catch(() => undefined);
    throw e;
  }
}

/**
 * Removes an image; one that still has snapshots (a protected one with clones) or is busy goes
 * to the RBD trash instead, where its clones keep reading it. A busy trash move is retried.
 */
export async function removeImage(c: RbdImageContext, name: string): Promise<void> {
  try {
    await c.cli.rbd(['rm', '--no-progress', imageSpec(c, name)], 'data');
    return;
  } catch (e) {
    if (!(e instanceof RbdImageHasSnapshots || e instanceof RbdImageBusy)) throw e;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      c.log.info({ volume: name }, 'rbd driver: moving volume to the trash');
      await c.cli.rbd(['trash', 'mv', imageSpec(c, name)]);
      return;
    } catch (e) {
      const wait = BUSY_RETRY_WAITS_MS[attempt];
      if (!(e instanceof RbdImageBusy) || wait === undefined) throw e;
      await sleep(wait);
    }
  }
}

/**
 * The parent of `image` (at `snap`, when given) if it is a clone made by createClonedVolume,
 * i.e. of its source's `<image>.clone_snap`; clones of user snapshots are not followed.
 */
export async function cloneParent(
  c: RbdImageContext,
  image: string,
  snap?: string,
): Promise<{ image: string; snapshot: string } | null> {
  let info: RbdImageInfo;
  try {
    info = await imageInfo(c, image, snap);
  } catch (e) {
    if (e instanceof RbdImageNotFound) return null;
    throw e;
  }
  const own = image.endsWith('.deleted') ? image.slice(0, -'.deleted'.length) : image;
  const p = info.parent;
  return p && p.snapshot === `${own}.clone_snap` ? { image: p.image, snapshot: p.snapshot } : null;
}

/**
 * Drops the snapshot a deleted clone was made from; a parent already deleted in Kindling
 * (`.deleted`) with no snapshot left is removed too, and so on up the chain.
 */
export async function deleteCloneParentRefs(
  c: RbdImageContext,
  parentName: string,
  parentSnap: string,
): Promise<void> {
  const grandparent = await cloneParent(c, parentName, parentSnap);
  await unprotect(c, parentName, parentSnap);
  await removeSnap(c, parentName, parentSnap);
  const left = await c.cli.rbdJson<RbdSnapInfo[]>(['snap', 'ls', imageSpec(c, parentName)]);
  if (left.length > 0 || !parentName.endsWith('.deleted')) return;
  c.log.info({ volume: parentName }, 'rbd driver: removing deleted parent');
  await c.cli.rbd(['rm', '--no-progress', imageSpec(c, parentName)], 'data');
  if (grandparent) await deleteCloneParentRefs(c, grandparent.image, grandparent.snapshot);
}

/** Unprotects a snapshot; one that is not protected is fine. Other errors (busy, missing) propagate. */
export async function unprotect(c: RbdImageContext, image: string, snap: string): Promise<void> {
  try {
    await c.cli.rbd(['snap', 'unprotect', imageSpec(c, image, snap)]);
  } catch (e) {
    if (!(e instanceof RbdInvalidArgument)) throw e;
  }
}

export async function removeSnap(c: RbdImageContext, image: string, snap: string): Promise<void> {
  try {
    await c.cli.rbd(['snap', 'rm', '--no-progress', imageSpec(c, image, snap)], 'data');
  } catch (e) {
    if (!(e instanceof RbdImageNotFound)) throw e;
  }
}

/** Takes and protects snapshot `snap` of `image`; a resumed call finds it taken or protected. */
export async function snapAndProtect(c: RbdImageContext, image: string, snap: string): Promise<void> {
  try {
    await c.cli.rbd(['snap', 'create', '--no-progress', imageSpec(c, image, snap)]);
  } catch (e) {
    if (!(e instanceof RbdImageExists)) throw e;
  }
  try {
    await c.cli.rbd(['snap', 'protect', imageSpec(c, image, snap)]);
  } catch (e) {
    if (!(e instanceof RbdImageBusy && /already protected/.test(e.stderr))) throw e;
  }
}

/** `rbd clone`; a resumed call finds the clone made. `order` null: the parent's object size. */
export async function clone(
  c: RbdImageContext,
  image: string,
  snap: string,
  dest: string,
  order: number | null,
): Promise<void> {
  try {
    await c.cli.rbd([
      'clone',
      ...(order === null ? [] : ['--object-size', String(2 ** order)]),
      imageSpec(c, image, snap),
      imageSpec(c, dest),
    ]);
  } catch (e) {
    if (!(e instanceof RbdImageExists)) throw e;
  }
}

/** Unprotects and removes a temporary snapshot; best effort unless `strict`. */
export async function dropSnap(
  c: RbdImageContext,
  image: string,
  snap: string,
  strict = false,
): Promise<void> {
  try {
    await unprotect(c, image, snap);
    await removeSnap(c, image, snap);
  } catch (e) {
    if (strict) throw e;
    c.log.warn({ image, snap, err: (e as Error).message }, 'rbd driver: could not drop snapshot');
  }
}

/** How many clones-of-volumes stand behind `image` (Cinder's `_get_clone_depth`). */
export async function cloneDepth(c: RbdImageContext, image: string): Promise<number> {
  let depth = 0;
  for (let parent = await cloneParent(c, image); parent; parent = await cloneParent(c, parent.image)) depth++;
  return depth;
}
