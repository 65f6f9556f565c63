/**
 * Manage / unmanage for the `file` driver, after Cinder's NFS driver (`RemoteFSManageableVolumesMixin`):
 * a file in `file_volume_dir` that Kindling did not make is adopted by renaming it `volume-<id>`
 * (`snapshot-<id>` for a snapshot); its bytes are never read beyond the first sector (to refuse
 * image formats other than raw) nor written. Unmanage leaves the file as it is, under Kindling's
 * name, as Cinder's NFS and LVM drivers do: it can be managed again with `source-name: volume-<id>`.
 *
 * References:
 * - `{"source-name": "<file>"}`: a file name in the directory, or an absolute path of a file in it;
 * - `{"source-id": "<id>"}` (Kindling): the file `volume-<id>` (a volume unmanaged before).
 * Hidden files (Kindling's `.<name>.part` copies), subdirectories, symlinks and other non-regular
 * files are refused.
 *
 * Renames are link + unlink, so an existing target is never replaced; a resumed manage (the
 * service died after the rename) finds the object under its new name and goes on.
 */
import { chmod, chown, link, lstat, open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { ManageExistingInvalidReference } from '../../common/errors.js';
import { pythonRepr } from '../../common/strutils.js';
import {
  GiB,
  type ExistingRef,
  type ManageableSnapshot,
  type ManageableVolume,
  type ManagedResource,
} from '../driver.js';

/** Image formats recognised by their first bytes: adopting one as raw would expose its container. */
const MAGIC: readonly { format: string; offset: number; bytes: Buffer }[] = [
  { format: 'qcow2', offset: 0, bytes: Buffer.from([0x51, 0x46, 0x49, 0xfb]) },
  { format: 'qed', offset: 0, bytes: Buffer.from([0x51, 0x45, 0x44, 0x00]) },
  { format: 'vmdk', offset: 0, bytes: Buffer.from('KDMV', 'latin1') },
  { format: 'vhdx', offset: 0, bytes: Buffer.from('vhdxfile', 'latin1') },
  { format: 'vpc', offset: 0, bytes: Buffer.from('conectix', 'latin1') },
  { format: 'luks', offset: 0, bytes: Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]) },
  { format: 'vdi', offset: 64, bytes: Buffer.from([0x7f, 0x10, 0xda, 0xbe]) },
];

/** The image format a file's first bytes name, or null for raw data. */
export async function sniffFormat(path: string): Promise<string | null> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(72);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    for (const m of MAGIC)
      if (
        bytesRead >= m.offset + m.bytes.length &&
        head.subarray(m.offset, m.offset + m.bytes.length).equals(m.bytes)
      )
        return m.format;
    return null;
  } finally {
    await fh.close();
  }
}

/** Cinder's size rule: bytes to GiB, rounded up. */
export function roundedGiB(bytes: number): number {
  return Math.ceil(bytes / GiB);
}

/** What a reference names in the directory. */
interface Located {
  /** The file's name in the directory. */
  name: string;
  path: string;
}

/** Refs print as Cinder prints them: the dict's Python repr. */
function refText(ref: ExistingRef): string {
  return pythonRepr(ref);
}

/** The file a reference names (it may not exist); bad forms are `ManageExistingInvalidReference`. */
export function locate(dir: string, ref: ExistingRef, kind: 'volume' | 'snapshot'): Located {
  const invalid = (reason: string) => new ManageExistingInvalidReference(refText(ref), reason);
  let name: string;
  if (!ref || typeof ref !== 'object' || Array.isArray(ref))
    throw invalid('The reference must be an object with "source-name".');
  if ('source-name' in ref) {
    const given = ref['source-name'];
    if (typeof given !== 'string' || !given) throw invalid('"source-name" must be a file name.');
    if (isAbsolute(given)) {
      const p = normalize(given);
      if (dirname(p) !== normalize(dir)) throw invalid(`The file must be in the backend's directory ${dir}.`);
      name = basename(p);
    } else name = given;
  } else if ('source-id' in ref && kind === 'volume') {
    const id = ref['source-id'];
    if (typeof id !== 'string' || !id) throw invalid('"source-id" must be a volume id.');
    name = `volume-${id}`;
  } else {
    throw invalid(
      kind === 'volume'
        ? 'The existing volume reference must contain "source-name" or "source-id".'
        : 'Reference must contain source-name element.',
    );
  }
  if (name.includes('/') || name === '.' || name === '..' || name.startsWith('.'))
    throw invalid('Not a file of the backend (hidden or outside its directory).');
  return { name, path: join(dir, name) };
}

/** The regular file at `path`, or null when there is none; other kinds are refused. */
async function regularFile(path: string, ref: ExistingRef): Promise<{ size: number; mode: number } | null> {
  try {
    const st = await lstat(path);
    if (!st.isFile())
      throw new ManageExistingInvalidReference(
        refText(ref),
        'Not a regular file (a directory, link or device).',
      );
    return { size: st.size, mode: st.mode & 0o7777 };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The size (GiB, rounded up) of the file `ref` names, checked to be raw data. When it is gone but
 * `ownName` exists, a previous run already renamed it: that file's size.
 */
export async function manageableSize(
  dir: string,
  ref: ExistingRef,
  ownName: string,
  kind: 'volume' | 'snapshot',
): Promise<number> {
  const at = locate(dir, ref, kind);
  let st = await regularFile(at.path, ref);
  let path = at.path;
  if (!st && at.name !== ownName) {
    path = join(dir, ownName);
    st = await regularFile(path, ref);
  }
  if (!st)
    throw new ManageExistingInvalidReference(
      refText(ref),
      kind === 'volume' ? 'Volume not found.' : 'Specified snapshot does not exist.',
    );
  const format = await sniffFormat(path);
  if (format)
    throw new ManageExistingInvalidReference(refText(ref), `Unsupported image format: '${format}'.`);
  return roundedGiB(st.size);
}

/** Renames `from` to `to` in `dir` without ever replacing an existing `to` (link + unlink). */
async function renameNoReplace(dir: string, from: string, to: string): Promise<void> {
  if (from === to) return;
  await link(join(dir, from), join(dir, to));
  await unlink(join(dir, from));
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Adopts the file `ref` names as `ownName`: renamed, owned by this process's user (when running
 * as root), given `mode`. A file already renamed by a previous run is left as it is.
 */
export async function adopt(
  dir: string,
  ref: ExistingRef,
  ownName: string,
  kind: 'volume' | 'snapshot',
  mode: number,
): Promise<string> {
  const at = locate(dir, ref, kind);
  const target = join(dir, ownName);
  if (at.name !== ownName) {
    const st = await regularFile(at.path, ref);
    if (st) await renameNoReplace(dir, at.name, ownName);
    else if (!(await regularFile(target, ref)))
      throw new ManageExistingInvalidReference(
        refText(ref),
        kind === 'volume' ? 'Volume not found.' : 'Specified snapshot does not exist.',
      );
  }
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === 0 && gid !== undefined) await chown(target, uid, gid);
  await chmod(target, mode);
  return target;
}

/** Undoes {@link adopt}: `ownName` gets the name `ref` gave, when that name is free again. */
export async function giveBack(
  dir: string,
  ref: ExistingRef,
  ownName: string,
  kind: 'volume' | 'snapshot',
): Promise<void> {
  const at = locate(dir, ref, kind);
  if (at.name === ownName) return;
  if (!(await regularFile(join(dir, ownName), ref)) || (await regularFile(at.path, ref))) return;
  await renameNoReplace(dir, ownName, at.name);
}

/** The regular, visible files of the directory with their sizes. */
async function listFiles(dir: string): Promise<{ name: string; size: number; path: string }[]> {
  const out: { name: string; size: number; path: string }[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    try {
      const st = await lstat(path);
      if (st.isFile()) out.push({ name, size: st.size, path });
    } catch {
      // removed while we listed
    }
  }
  return out;
}

/**
 * NFS's `get_manageable_volumes` over the directory: every visible regular file. Kindling's own
 * volumes are `Volume already managed.` (with their id and size), its snapshots' files are not
 * safe either, other image formats are refused by their first bytes.
 */
export async function manageableVolumes(
  dir: string,
  volumes: readonly ManagedResource[],
  snapshots: readonly ManagedResource[],
): Promise<ManageableVolume[]> {
  const byName = new Map(volumes.map((v) => [v.name, v]));
  const snapNames = new Set(snapshots.map((s) => s.name));
  const out: ManageableVolume[] = [];
  for (const f of await listFiles(dir)) {
    const managed = byName.get(f.name);
    const entry: ManageableVolume = {
      reference: { 'source-name': f.name },
      size: managed ? managed.size : roundedGiB(f.size),
      safe_to_manage: true,
      reason_not_safe: null,
      cinder_id: managed?.id ?? null,
      extra_info: null,
    };
    if (managed) [entry.safe_to_manage, entry.reason_not_safe] = [false, 'Volume already managed.'];
    else if (snapNames.has(f.name))
      [entry.safe_to_manage, entry.reason_not_safe] = [false, 'Snapshot already managed.'];
    else {
      try {
        const format = await sniffFormat(f.path);
        if (format)
          [entry.safe_to_manage, entry.reason_not_safe] = [false, `Unsupported image format: '${format}'.`];
      } catch {
        [entry.safe_to_manage, entry.reason_not_safe] = [false, 'Failed to open image.'];
      }
    }
    out.push(entry);
  }
  return out;
}

/**
 * Snapshot files (`snapshot-*`) of the directory. The file driver keeps no record of which volume a
 * snapshot file was taken from, so an unmanaged one's `source_reference` is null; Kindling's own are
 * `already managed`, with their volume as source.
 */
export async function manageableSnapshots(
  dir: string,
  snapshots: readonly ManagedResource[],
): Promise<ManageableSnapshot[]> {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const out: ManageableSnapshot[] = [];
  for (const f of await listFiles(dir)) {
    if (!f.name.startsWith('snapshot-')) continue;
    const managed = byName.get(f.name);
    out.push({
      reference: { 'source-name': f.name },
      size: managed ? managed.size : roundedGiB(f.size),
      safe_to_manage: !managed,
      reason_not_safe: managed ? 'already managed' : null,
      cinder_id: managed?.id ?? null,
      extra_info: null,
      source_reference: managed?.volume_id ? { 'source-name': `volume-${managed.volume_id}` } : null,
    });
  }
  return out;
}
