import {
  mkdir,
  open,
  readdir,
  rename,
  stat,
  statfs,
  truncate,
  access,
  chmod,
  unlink,
} from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { debuglog, promisify } from 'node:util';
import { execFile } from 'node:child_process';
import {
  GiB,
  type BackupDevice,
  type ConnectionInfo,
  type Connector,
  type DriverVolume,
  type ExistingRef,
  type ManageableSnapshot,
  type ManageableVolume,
  type ManagedResource,
  type ModelUpdate,
  type VolumeDriver,
  type VolumeStats,
} from '../driver.js';
import { copyVolumeFile, probeReflink, type CopyMethod } from './file-copy.js';
import { adopt, giveBack, manageableSize, manageableSnapshots, manageableVolumes } from './file-manage.js';
import type { TargetVolume, VolumeTarget } from '../targets/index.js';
import { qemuImgConvert } from '../../image/qemu-img.js';

/** The little of a logger the driver uses (pino's `info(obj, msg)` fits). */
export interface FileDriverLogger {
  info(obj: object, msg: string): void;
}

/** Options of a `volume_driver = file` backend section. */
export interface FileDriverOptions {
  volume_backend_name: string;
  /** Directory holding the sparse files (`file_volume_dir`). */
  file_volume_dir: string;
  reserved_percentage: number;
  max_over_subscription_ratio: number | string;
  /** Where copy lines go; without one they go to `NODE_DEBUG=kindling-file-driver`. */
  log?: FileDriverLogger;
  /**
   * How volumes are exported for attach (`target_helper`: tgtd over iSCSI). Without one the
   * backend cannot attach volumes.
   */
  target?: VolumeTarget;
}

/** A snapshot as the contract passes it; `name` is `snapshot-<id>` (`snapshot_name_template`). */
interface DriverSnapshot {
  readonly id: string;
  readonly name: string;
}

const debug = debuglog('kindling-file-driver');
const execFileAsync = promisify(execFile);
const fallbackLog: FileDriverLogger = { info: (obj, msg) => debug('%s %j', msg, obj) };

/** The columns of a volume its export needs. */
function targetVolume(v: DriverVolume): TargetVolume {
  return {
    id: v.id,
    name: v.name,
    provider_location: v.provider_location,
    provider_auth: v.provider_auth ?? null,
    encrypted: v.encrypted ?? false,
  };
}

/** Removes a file that may be gone already (one unlink, where `rm` would lstat first). */
async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Mode of a volume file made by a copy (what createVolume gets under the usual umask 022). */
const VOLUME_MODE = 0o644;
/** Snapshots are never written after they are taken. */
const SNAPSHOT_MODE = 0o444;

/**
 * Volumes as sparse raw files `volume-<id>` in one directory. Creating one is a truncate: it takes
 * no space until written. Capacity is the real filesystem's, so the scheduler's thin-provisioning
 * maths sees the truth.
 *
 * Snapshots are read-only files `snapshot-<id>` beside their volume; snapshots, clones and reverts
 * are reflinks (copy-on-write, instant) where the filesystem shares extents (xfs with reflink=1,
 * btrfs) and sparse full copies elsewhere (ext4). Each copy is written to a hidden `.<name>.part`
 * file and renamed into place, so a re-run after a crash replaces a partial copy and a reader never
 * sees one. Copies of a volume in use are not crash-consistent: quiescing is the caller's business.
 */
export class FileDriver implements VolumeDriver {
  readonly #opts: FileDriverOptions;
  readonly #log: FileDriverLogger;
  readonly #target: VolumeTarget | null;
  #reflink: boolean | null = null;
  #lastCopy: CopyMethod | null = null;

  constructor(opts: FileDriverOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? fallbackLog;
    this.#target = opts.target ?? null;
  }

  #path(v: { name: string }): string {
    return join(this.#opts.file_volume_dir, v.name);
  }

  async doSetup(): Promise<void> {
    await mkdir(this.#opts.file_volume_dir, { recursive: true });
    this.#reflink = await probeReflink(this.#opts.file_volume_dir);
    this.#log.info(
      { dir: this.#opts.file_volume_dir, reflink: this.#reflink },
      `file driver: ${this.#reflink ? 'reflink (copy-on-write)' : 'sparse full'} copies for snapshots and clones`,
    );
  }

  async checkForSetupError(): Promise<void> {
    await access(this.#opts.file_volume_dir, constants.W_OK | constants.R_OK);
  }

  /** How the most recent snapshot/clone/revert copy was made; null before the first one. */
  copyMethod(): CopyMethod | null {
    return this.#lastCopy;
  }

  /** Whether the setup probe found that the directory can reflink; null before doSetup. */
  reflinkSupported(): boolean | null {
    return this.#reflink;
  }

  async createVolume(volume: DriverVolume): Promise<ModelUpdate | null> {
    const path = this.#path(volume);
    const bytes = volume.size * GiB;
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.truncate(bytes);
      } finally {
        await fh.close();
      }
    } catch (e) {
      // NOTE: a resumed create finds its own file; repair (resize) instead of failing.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(path);
      if (st.size !== bytes) await truncate(path, bytes);
    }
    return { provider_location: path };
  }

  async deleteVolume(volume: DriverVolume): Promise<void> {
    await removeFile(this.#path(volume));
    await removeFile(this.#partPath(volume.name));
  }

  /** Grows the file to `newSize` GiB; the same size is a no-op, a smaller one an error. */
  async extendVolume(volume: DriverVolume, newSize: number): Promise<void> {
    const path = this.#path(volume);
    const bytes = newSize * GiB;
    const current = (await stat(path)).size;
    if (bytes < current) {
      throw new Error(
        `Cannot extend volume ${volume.id} to ${newSize} GiB: its file is already ${current} bytes (shrinking is not supported)`,
      );
    }
    if (bytes > current) await truncate(path, bytes);
    // An attached volume's LUN must show the new size (in-use extend, 3.42).
    if (this.#target && volume.provider_location) await this.#target.extendTarget(targetVolume(volume), path);
  }

  /** The image's bytes into the (new, sparse, all-zero) volume file; zeros are not written. */
  async copyImageToVolume(volume: DriverVolume, image: { path: string; format: string }): Promise<void> {
    await qemuImgConvert(image.path, image.format, this.#path(volume), 'raw', {
      existing: true,
      targetIsZero: true,
    });
  }

  /**
   * Reimage: every byte of the file becomes zero. Its blocks are released (`fallocate
   * --punch-hole`, so reflinked extents shared with snapshots stay theirs); the inode and size stay,
   * so an export keeps serving it. Where holes cannot be punched, the file is truncated to nothing
   * and back to its size.
   */
  async zeroVolume(volume: DriverVolume): Promise<void> {
    const path = this.#path(volume);
    const size = (await stat(path)).size;
    if (size === 0) return;
    try {
      await execFileAsync('fallocate', ['--punch-hole', '--offset', '0', '--length', String(size), path]);
    } catch (e) {
      this.#log.info(
        { volume_id: volume.id, err: String(e) },
        'zeroVolume: no hole punching here, truncating',
      );
      await truncate(path, 0);
      await truncate(path, size);
    }
  }

  // ---- attach: each volume file is exported as its own iSCSI target (LUN 1) ----

  #requireTarget(): VolumeTarget {
    if (!this.#target) throw new Error('this file backend has no target helper to export volumes with');
    return this.#target;
  }

  validateConnector(connector: Connector): void {
    this.#requireTarget().validateConnector(connector);
  }

  /** Cinder's `create_export` through the target helper: the target and CHAP go on the volume row. */
  async createExport(volume: DriverVolume, _connector: Connector | null): Promise<ModelUpdate | null> {
    const model = await this.#requireTarget().createExport(targetVolume(volume), this.#path(volume));
    return { provider_location: model.provider_location, provider_auth: model.provider_auth };
  }

  async ensureExport(volume: DriverVolume): Promise<void> {
    await this.#requireTarget().ensureExport(targetVolume(volume), this.#path(volume));
  }

  async removeExport(volume: DriverVolume): Promise<void> {
    await this.#target?.removeExport(targetVolume(volume));
  }

  async initializeConnection(volume: DriverVolume, connector: Connector): Promise<ConnectionInfo> {
    return this.#requireTarget().initializeConnection(targetVolume(volume), connector);
  }

  /** One target per volume: the export stays while other attachments use it (Cinder's LVM rule). */
  async terminateConnection(
    _volume: DriverVolume,
    _connector: Connector | null,
    opts: { force: boolean; otherAttachments: number },
  ): Promise<boolean> {
    return opts.otherAttachments > 0;
  }

  onExportsLost(listener: () => void): void {
    this.#target?.onRestart(listener);
  }

  /** Stops the target daemon this backend started (tests and service stop leave none behind). */
  async stop(): Promise<void> {
    await this.#target?.stop();
  }

  async createSnapshot(snapshot: DriverSnapshot & { volume: DriverVolume }): Promise<ModelUpdate | null> {
    const path = await this.#copyInPlace(this.#path(snapshot.volume), snapshot.name, {
      minBytes: 0,
      mode: SNAPSHOT_MODE,
    });
    return { provider_location: path };
  }

  async deleteSnapshot(snapshot: DriverSnapshot & { volume: DriverVolume }): Promise<void> {
    await removeFile(this.#path(snapshot));
    await removeFile(this.#partPath(snapshot.name));
  }

  /** The snapshot's content in a new volume file, grown to `volume.size` GiB when that is larger. */
  async createVolumeFromSnapshot(
    volume: DriverVolume,
    snapshot: DriverSnapshot & { volume: DriverVolume },
  ): Promise<ModelUpdate | null> {
    const path = await this.#copyNewVolume(this.#path(snapshot), volume, `snapshot ${snapshot.id}`);
    return { provider_location: path };
  }

  /** The source volume's content in a new volume file, grown to `volume.size` GiB when larger. */
  async createClonedVolume(volume: DriverVolume, source: DriverVolume): Promise<ModelUpdate | null> {
    const path = await this.#copyNewVolume(this.#path(source), volume, `volume ${source.id}`);
    return { provider_location: path };
  }

  /**
   * Replaces the volume's content with the snapshot's. The file keeps the volume's size: Cinder's
   * API only reverts when volume.size equals the snapshot's volume_size, and its generic revert
   * copies into a volume of volume.size; if the volume was grown (a direct call), the reverted file
   * is grown to match, and it is never cut below the snapshot's length, so no data is dropped.
   * The volume file's permission bits are kept.
   */
  async revertToSnapshot(volume: DriverVolume, snapshot: DriverSnapshot): Promise<void> {
    let mode = VOLUME_MODE;
    try {
      mode = (await stat(this.#path(volume))).mode & 0o7777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await this.#copyInPlace(this.#path(snapshot), volume.name, { minBytes: volume.size * GiB, mode });
  }

  /**
   * Backups read the volume file in place (Cinder's local attach of a file-backed volume): the
   * backup service must see `file_volume_dir` at the same path (same host, or a shared mount).
   * NOTE: like any attach for a backup, the copy is not crash-consistent while the volume is
   * written to; back up a snapshot for that.
   */
  async openVolumeForBackup(volume: DriverVolume): Promise<BackupDevice> {
    return this.#existingDevice(this.#path(volume), `volume ${volume.id}`);
  }

  /** A snapshot is a read-only file `snapshot-<id>` beside its volume. */
  async openSnapshotForBackup(snapshot: DriverSnapshot & { volume: DriverVolume }): Promise<BackupDevice> {
    return this.#existingDevice(this.#path(snapshot), `snapshot ${snapshot.id}`);
  }

  /** A restore writes into the volume file at offsets; the file keeps its size and holes. */
  async openVolumeForRestore(volume: DriverVolume): Promise<BackupDevice> {
    return this.#existingDevice(this.#path(volume), `volume ${volume.id}`);
  }

  async #existingDevice(path: string, what: string): Promise<BackupDevice> {
    try {
      await stat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`The file of ${what} is missing: ${path}`, { cause: e });
      throw e;
    }
    return { type: 'path', path };
  }

  // ---- manage / unmanage (file-manage.ts): files renamed into Kindling's names, bytes untouched ----

  async manageExistingGetSize(volume: DriverVolume, ref: ExistingRef): Promise<number> {
    return manageableSize(this.#opts.file_volume_dir, ref, volume.name, 'volume');
  }

  /** Renames the file `volume-<id>`, owner read-write (Cinder's NFS: `_set_rw_permissions`). */
  async manageExisting(volume: DriverVolume, ref: ExistingRef): Promise<ModelUpdate | null> {
    const dir = this.#opts.file_volume_dir;
    const path = await adopt(dir, ref, volume.name, 'volume', VOLUME_MODE);
    this.#log.info({ volume_id: volume.id, ref, path }, 'file driver: managed an existing file');
    return { provider_location: path };
  }

  async revertManageExisting(volume: DriverVolume, ref: ExistingRef): Promise<void> {
    await giveBack(this.#opts.file_volume_dir, ref, volume.name, 'volume');
  }

  async getManageableVolumes(
    volumes: readonly ManagedResource[],
    snapshots: readonly ManagedResource[],
  ): Promise<ManageableVolume[]> {
    return manageableVolumes(this.#opts.file_volume_dir, volumes, snapshots);
  }

  /** As Cinder's NFS driver: the file stays, named `volume-<id>`. */
  async unmanage(volume: DriverVolume): Promise<void> {
    this.#log.info(
      { volume_id: volume.id, path: this.#path(volume) },
      'file driver: volume unmanaged; its file stays',
    );
  }

  async manageExistingSnapshotGetSize(
    snapshot: DriverSnapshot & { volume: DriverVolume },
    ref: ExistingRef,
  ): Promise<number> {
    return manageableSize(this.#opts.file_volume_dir, ref, snapshot.name, 'snapshot');
  }

  /** Renames the file `snapshot-<id>`, read-only as every snapshot file. */
  async manageExistingSnapshot(
    snapshot: DriverSnapshot & { volume: DriverVolume },
    ref: ExistingRef,
  ): Promise<ModelUpdate | null> {
    const path = await adopt(this.#opts.file_volume_dir, ref, snapshot.name, 'snapshot', SNAPSHOT_MODE);
    return { provider_location: path };
  }

  async revertManageExistingSnapshot(
    snapshot: DriverSnapshot & { volume: DriverVolume },
    ref: ExistingRef,
  ): Promise<void> {
    await giveBack(this.#opts.file_volume_dir, ref, snapshot.name, 'snapshot');
  }

  async getManageableSnapshots(
    snapshots: readonly ManagedResource[],
    _volumes: readonly ManagedResource[],
  ): Promise<ManageableSnapshot[]> {
    return manageableSnapshots(this.#opts.file_volume_dir, snapshots);
  }

  async unmanageSnapshot(snapshot: DriverSnapshot & { volume: DriverVolume }): Promise<void> {
    this.#log.info({ snapshot_id: snapshot.id }, 'file driver: snapshot unmanaged; its file stays');
  }

  async volumeExists(volume: DriverVolume): Promise<boolean> {
    try {
      await stat(this.#path(volume));
      return true;
    } catch {
      return false;
    }
  }

  async getVolumeStats(_refresh: boolean): Promise<VolumeStats> {
    const fs = await statfs(this.#opts.file_volume_dir);
    const total = (fs.blocks * fs.bsize) / GiB;
    const free = (fs.bavail * fs.bsize) / GiB;
    let provisioned = 0;
    for (const name of await readdir(this.#opts.file_volume_dir)) {
      if (!name.startsWith('volume-')) continue;
      try {
        provisioned += (await stat(join(this.#opts.file_volume_dir, name))).size / GiB;
      } catch {
        // deleted while we listed
      }
    }
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      volume_backend_name: this.#opts.volume_backend_name,
      vendor_name: 'Kindling',
      driver_version: '1.0.0',
      storage_protocol: 'iSCSI',
      pools: [
        {
          pool_name: this.#opts.volume_backend_name,
          total_capacity_gb: round(total),
          free_capacity_gb: round(free),
          provisioned_capacity_gb: round(provisioned),
          reserved_percentage: this.#opts.reserved_percentage,
          thin_provisioning_support: true,
          thick_provisioning_support: false,
          max_over_subscription_ratio: this.#opts.max_over_subscription_ratio,
          QoS_support: false,
          // One iSCSI target per volume, which any number of initiators may log in to.
          multiattach: true,
          online_extend_support: true,
          sparse_copy_volume: true,
          // Snapshots and clones share extents (instant, no space) rather than full sparse copies.
          reflink_support: this.#reflink ?? false,
        },
      ],
    };
  }

  /** Makes a rename durable: the directory entry is on disk, not only the file's data. */
  async #syncDir(): Promise<void> {
    const dir = await open(this.#opts.file_volume_dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  #partPath(name: string): string {
    return join(this.#opts.file_volume_dir, `.${name}.part`);
  }

  /** Copy for a new volume: refuses a target smaller than the source (that would cut data off). */
  async #copyNewVolume(src: string, volume: DriverVolume, what: string): Promise<string> {
    const srcBytes = (await stat(src)).size;
    const bytes = volume.size * GiB;
    if (bytes < srcBytes) {
      throw new Error(`Volume ${volume.id} of ${volume.size} GiB cannot hold ${what} (${srcBytes} bytes)`);
    }
    return this.#copyInPlace(src, volume.name, { minBytes: bytes, mode: VOLUME_MODE });
  }

  /**
   * Copies `src` to `<dir>/<name>` through `.<name>.part`: copy, grow to `minBytes`, set `mode`,
   * flush, rename over the target. A leftover part file from a crashed run is replaced.
   */
  async #copyInPlace(src: string, name: string, opts: { minBytes: number; mode: number }): Promise<string> {
    const dst = join(this.#opts.file_volume_dir, name);
    const part = this.#partPath(name);
    await removeFile(part);
    const started = performance.now();
    try {
      const method = await copyVolumeFile(src, part);
      // The copy carries the source's mode (0444 from a snapshot): make it ours to write first.
      await chmod(part, 0o600);
      const fh = await open(part, 'r+');
      try {
        if ((await fh.stat()).size < opts.minBytes) await fh.truncate(opts.minBytes);
        await fh.chmod(opts.mode);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(part, dst);
      await this.#syncDir();
      this.#lastCopy = method;
      this.#log.info(
        { src, dst, method, ms: Math.round(performance.now() - started) },
        `file driver: ${method} copy ${src} -> ${dst}`,
      );
      return dst;
    } catch (e) {
      await removeFile(part);
      throw e;
    }
  }
}
