/**
 * Manage / unmanage for the `rbd` driver, as Cinder's RBD driver: an image of the pool is adopted
 * by `rbd rename` to `volume-<id>` (a snapshot of a managed volume's image by `rbd snap rename` to
 * `snapshot-<id>`, then protected); the data is not touched. Unmanage leaves the image under its
 * name (Cinder's `unmanage` is a no-op); an unmanaged snapshot is unprotected when it has no
 * clones. References are `{"source-name": "<image>"}` (a snapshot's may be the bare name).
 *
 * Kindling's additions: a resumed manage (the service died after the rename) finds the object under
 * its new name and goes on; images Kindling keeps for clones (`….deleted`) and its temporary clone
 * snapshots (`….clone_snap`) are refused; a later failure renames the object back.
 */
import { ManageExistingInvalidReference, RbdImageNotFound } from '../../common/errors.js';
import type { ExistingRef, ManageableSnapshot, ManageableVolume, ManagedResource } from '../driver.js';
import type { CephCli } from './rbd-cli.js';
import type { RbdImageInfo, RbdListEntry, RbdSnapInfo } from './rbd-json.js';
import { roundedGiB } from './file-manage.js';

/** What the functions here need of the driver. */
export interface RbdManageContext {
  readonly cli: CephCli;
  readonly pool: string;
}

function spec(c: RbdManageContext, image: string, snap?: string): string {
  return `${c.pool}/${image}${snap === undefined ? '' : `@${snap}`}`;
}

/** `source-name` of a reference (a snapshot's reference may be the bare name, as in Cinder). */
function sourceName(ref: ExistingRef | string): string {
  const r: Record<string, unknown> =
    typeof ref === 'string' ? { 'source-name': ref } : ref && typeof ref === 'object' ? ref : {};
  const name = r['source-name'];
  if (typeof name !== 'string' || !name)
    throw new ManageExistingInvalidReference(
      typeof ref === 'string' ? ref : JSON.stringify(ref),
      'Reference must contain source-name element.',
    );
  return name;
}

async function info(c: RbdManageContext, image: string, snap?: string): Promise<RbdImageInfo | null> {
  try {
    return await c.cli.rbdJson<RbdImageInfo>(['info', spec(c, image, snap)]);
  } catch (e) {
    if (e instanceof RbdImageNotFound) return null;
    throw e;
  }
}

/** Cinder's `manage_existing_get_size`: the image's size in GiB, rounded up. */
export async function manageExistingGetSize(
  c: RbdManageContext,
  ref: ExistingRef,
  ownName: string,
): Promise<number> {
  const name = sourceName(ref);
  if (name.endsWith('.deleted')) throw new ManageExistingInvalidReference(name, 'volume marked as deleted');
  const found = (await info(c, name)) ?? (name !== ownName ? await info(c, ownName) : null);
  if (!found) throw new ManageExistingInvalidReference(name, 'Specified rbd image does not exist.');
  return roundedGiB(found.size);
}

/** Cinder's `manage_existing`: `rbd rename` to the volume's name (refused by rbd if it exists). */
export async function manageExisting(c: RbdManageContext, ref: ExistingRef, ownName: string): Promise<void> {
  const name = sourceName(ref);
  if (name === ownName) return;
  try {
    await c.cli.rbd(['rename', spec(c, name), spec(c, ownName)]);
  } catch (e) {
    // NOTE: a resumed manage: renamed already by the run that died.
    if (e instanceof RbdImageNotFound && (await info(c, ownName))) return;
    throw e;
  }
}

/** Kindling: the image gets its old name back after a later step of the manage failed. */
export async function revertManageExisting(
  c: RbdManageContext,
  ref: ExistingRef,
  ownName: string,
): Promise<void> {
  const name = sourceName(ref);
  if (name === ownName || (await info(c, name)) || !(await info(c, ownName))) return;
  await c.cli.rbd(['rename', spec(c, ownName), spec(c, name)]);
}

/** Images (and, with `snapshot`, their snapshots) of the pool, in one `rbd ls -l`. */
async function listPool(c: RbdManageContext): Promise<RbdListEntry[]> {
  return c.cli.rbdJson<RbdListEntry[]>(['ls', '-l', c.pool]);
}

/** `volume-<id>` → id (Cinder's `extract_id_from_volume_name`); null for other names. */
function idFrom(name: string, prefix: string): string | null {
  return name.startsWith(prefix) ? name.slice(prefix.length) : null;
}

/**
 * Cinder's `get_manageable_volumes`: every image of the pool; the service's own are `already
 * managed`, one a client has open (`rbd status` watchers) `volume in use`, a `.deleted` one
 * `volume marked as deleted`.
 */
export async function getManageableVolumes(
  c: RbdManageContext,
  volumes: readonly ManagedResource[],
): Promise<ManageableVolume[]> {
  const ids = new Set(volumes.map((v) => v.id));
  const out: ManageableVolume[] = [];
  for (const e of await listPool(c)) {
    if (e.snapshot !== undefined) continue;
    const id = idFrom(e.image, 'volume-');
    const entry: ManageableVolume = {
      reference: { 'source-name': e.image },
      size: roundedGiB(e.size),
      safe_to_manage: true,
      reason_not_safe: null,
      cinder_id: null,
      extra_info: null,
    };
    if (id !== null && ids.has(id)) {
      entry.cinder_id = id;
      [entry.safe_to_manage, entry.reason_not_safe] = [false, 'already managed'];
    } else {
      let watchers: number;
      try {
        watchers = (await c.cli.rbdJson<{ watchers: unknown[] }>(['status', spec(c, e.image)])).watchers
          .length;
      } catch (err) {
        if (err instanceof RbdImageNotFound) continue;
        throw err;
      }
      if (watchers > 0) [entry.safe_to_manage, entry.reason_not_safe] = [false, 'volume in use'];
      else if (e.image.endsWith('.deleted'))
        [entry.safe_to_manage, entry.reason_not_safe] = [false, 'volume marked as deleted'];
    }
    out.push(entry);
  }
  return out;
}

async function snaps(c: RbdManageContext, image: string): Promise<RbdSnapInfo[]> {
  return c.cli.rbdJson<RbdSnapInfo[]>(['snap', 'ls', spec(c, image)]);
}

/** Cinder's `manage_existing_snapshot_get_size`: the snapshot of the volume's image, in GiB. */
export async function manageExistingSnapshotGetSize(
  c: RbdManageContext,
  ref: ExistingRef,
  volumeName: string,
  ownName: string,
): Promise<number> {
  const name = sourceName(ref);
  if (name.endsWith('.clone_snap')) throw new ManageExistingInvalidReference(name, 'used for clone snap');
  let list: RbdSnapInfo[];
  try {
    list = await snaps(c, volumeName);
  } catch (e) {
    if (e instanceof RbdImageNotFound)
      throw new ManageExistingInvalidReference(name, 'Specified snapshot does not exist.');
    throw e;
  }
  const found = list.find((s) => s.name === name) ?? list.find((s) => s.name === ownName);
  if (!found) throw new ManageExistingInvalidReference(name, 'Specified snapshot does not exist.');
  return roundedGiB(found.size);
}

/** Cinder's `manage_existing_snapshot`: `rbd snap rename` to `snapshot-<id>`, then protected. */
export async function manageExistingSnapshot(
  c: RbdManageContext,
  ref: ExistingRef,
  volumeName: string,
  ownName: string,
): Promise<void> {
  const name = sourceName(ref);
  let list = await snaps(c, volumeName);
  if (name !== ownName && list.some((s) => s.name === name)) {
    await c.cli.rbd(['snap', 'rename', spec(c, volumeName, name), spec(c, volumeName, ownName)]);
    list = await snaps(c, volumeName);
  }
  const own = list.find((s) => s.name === ownName);
  if (!own) throw new ManageExistingInvalidReference(name, 'Specified snapshot does not exist.');
  if (own.protected !== 'true') await c.cli.rbd(['snap', 'protect', spec(c, volumeName, ownName)]);
}

/** Kindling: the snapshot gets its old name back after a later step failed (it stays protected). */
export async function revertManageExistingSnapshot(
  c: RbdManageContext,
  ref: ExistingRef,
  volumeName: string,
  ownName: string,
): Promise<void> {
  const name = sourceName(ref);
  const list = await snaps(c, volumeName).catch(() => [] as RbdSnapInfo[]);
  if (name === ownName || list.some((s) => s.name === name) || !list.some((s) => s.name === ownName)) return;
  await c.cli.rbd(['snap', 'rename', spec(c, volumeName, ownName), spec(c, volumeName, name)]);
}

/**
 * Cinder's `get_manageable_snapshots`: every snapshot of every image; the service's own are
 * `already managed`, temporary clone snapshots `used for clone snap`, the Ceph backup driver's
 * `used for volume backup`.
 */
export async function getManageableSnapshots(
  c: RbdManageContext,
  snapshots: readonly ManagedResource[],
): Promise<ManageableSnapshot[]> {
  const ids = new Set(snapshots.map((s) => s.id));
  const out: ManageableSnapshot[] = [];
  for (const e of await listPool(c)) {
    if (e.snapshot === undefined) continue;
    const id = idFrom(e.snapshot, 'snapshot-');
    const entry: ManageableSnapshot = {
      reference: { 'source-name': e.snapshot },
      size: roundedGiB(e.size),
      cinder_id: null,
      extra_info: null,
      safe_to_manage: false,
      reason_not_safe: null,
      source_reference: { 'source-name': e.image },
    };
    if (id !== null && ids.has(id)) [entry.reason_not_safe, entry.cinder_id] = ['already managed', id];
    else if (e.snapshot.endsWith('.clone_snap')) entry.reason_not_safe = 'used for clone snap';
    else if (e.snapshot.startsWith('backup') && e.snapshot.includes('.snap.'))
      entry.reason_not_safe = 'used for volume backup';
    else entry.safe_to_manage = true;
    out.push(entry);
  }
  return out;
}

/** Cinder's `unmanage_snapshot`: unprotected when nothing is cloned from it; it stays. */
export async function unmanageSnapshot(
  c: RbdManageContext,
  volumeName: string,
  ownName: string,
): Promise<void> {
  let list: RbdSnapInfo[];
  try {
    list = await snaps(c, volumeName);
  } catch (e) {
    if (e instanceof RbdImageNotFound) return;
    throw e;
  }
  const own = list.find((s) => s.name === ownName);
  if (!own || own.protected !== 'true') return;
  const children = await c.cli.rbdJson<unknown[]>(['children', spec(c, volumeName, ownName)]);
  if (children.length === 0) await c.cli.rbd(['snap', 'unprotect', spec(c, volumeName, ownName)]);
}
