import { readFile } from 'node:fs/promises';
import { debuglog } from 'node:util';
import {
  RbdImageBusy,
  RbdImageExists,
  RbdImageNotFound,
  SnapshotIsBusy,
  VolumeBackendAPIException,
  VolumeIsBusy,
} from '../../common/errors.js';
import {
  GiB,
  type BackupDevice,
  type DriverVolume,
  type ExistingRef,
  type ImageLocationInfo,
  type ManageableSnapshot,
  type ManageableVolume,
  type ManagedResource,
  type ModelUpdate,
  type VolumeDriver,
  type VolumeStats,
} from '../driver.js';
import { exportDevice, restoreDevice } from './rbd-backup-device.js';
import { CephCli } from './rbd-cli.js';
import type { RbdSnapInfo } from './rbd-json.js';
import { volumeStats, type RbdStatsOptions } from './rbd-stats.js';
import { connectionInfo, qemuSpec } from './rbd-connection.js';
import * as images from './rbd-images.js';
import { cloneImage } from './rbd-clone-image.js';
import * as manage from './rbd-manage.js';
import { qemuImgConvert } from '../../image/qemu-img.js';

/** The little of a logger the driver uses (pino's `info(obj, msg)` fits). */
export interface RbdDriverLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of a `volume_driver = rbd` backend section. */
export interface RbdDriverOptions extends RbdStatsOptions {
  /** Where operation lines go; without one they go to `NODE_DEBUG=kindling-rbd-driver`. */
  log?: RbdDriverLogger;
}

/** A snapshot as the contract passes it; `name` is `snapshot-<id>`. */
interface DriverSnapshot {
  readonly id: string;
  readonly name: string;
  readonly volume: DriverVolume;
}

const debug = debuglog('kindling-rbd-driver');
const fallbackLog: RbdDriverLogger = {
  info: (obj, msg) => debug('%s %j', msg, obj),
  warn: (obj, msg) => debug('WARN %s %j', msg, obj),
};

const MiB = 1024 ** 2;
/** Seconds to wait for a monitor when rados_connect_timeout < 0 (Cinder then leaves librados' 300 s). */
const DEFAULT_CONNECT_TIMEOUT_S = 10;
/**
 * Volumes as RBD images `volume-<id>` in one pool of a Ceph cluster, driven through the `rbd` and
 * `ceph` CLIs (see rbd-cli.ts), with Cinder's RBD driver's behaviour:
 * - create: a format-2 image of `size` GiB whose object size comes from `rbd_store_chunk_size`
 *   (order = log2(bytes)), with the cluster's default features;
 * - snapshots `snapshot-<id>`, protected; a volume from a snapshot is a copy-on-write clone
 *   (flattened when `rbd_flatten_volume_from_snapshot`); a clone of a volume is a clone of a
 *   temporary snapshot `volume-<new id>.clone_snap` of it, flattened (and the snapshot dropped)
 *   once the source's clone chain is `rbd_max_clone_depth` long; `rbd_max_clone_depth = 0` copies;
 * - delete: a volume whose clones still need it is renamed `volume-<id>.deleted` and removed when
 *   its last clone goes; one with snapshots that cannot be removed goes to the RBD trash; a clone's
 *   delete walks up its chain removing such leftovers;
 * - revert: `rbd snap rollback`; extend: `rbd resize`;
 * - backups: the backup service runs `rbd export … -` to read a volume or snapshot and restores
 *   into the existing image with `rbd import-diff` (rbd-backup-device.ts).
 */
export class RbdDriver implements VolumeDriver {
  readonly #o: RbdDriverOptions;
  readonly #cli: CephCli;
  readonly #log: RbdDriverLogger;
  #fsid: string | null = null;
  #keyringData: string | null = null;

  constructor(opts: RbdDriverOptions, cli?: CephCli) {
    this.#o = opts;
    this.#log = opts.log ?? fallbackLog;
    const t = opts.rados_connect_timeout;
    this.#cli =
      cli ??
      new CephCli({
        cluster: opts.rbd_cluster_name,
        conf: opts.rbd_ceph_conf,
        user: opts.rbd_user,
        keyring: opts.rbd_keyring_conf,
        connectTimeoutSeconds: t >= 0 ? t : DEFAULT_CONNECT_TIMEOUT_S,
        opTimeoutSeconds: t >= 0 ? t : null,
        commandTimeoutMs: opts.rbd_command_timeout * 1000,
      });
  }

  /** What the image steps (rbd-images.ts) need of the driver. */
  get #img(): images.RbdImageContext {
    return { cli: this.#cli, pool: this.#o.rbd_pool, log: this.#log };
  }

  /** The image's bytes written into the new image by qemu-img's rbd driver (zeros skipped). */
  async copyImageToVolume(volume: DriverVolume, image: { path: string; format: string }): Promise<void> {
    await qemuImgConvert(image.path, image.format, qemuSpec(this.#o, volume.name), 'raw', {
      existing: true,
      targetIsZero: true,
    });
  }

  /**
   * Reimage: the image is shrunk to nothing (its objects are discarded; a clone's parent overlap
   * goes too) and grown back to its size, so it reads as zeros. Snapshots keep their data.
   */
  async zeroVolume(volume: DriverVolume): Promise<void> {
    const bytes = Math.max((await images.imageInfo(this.#img, volume.name)).size, volume.size * GiB);
    const spec = images.imageSpec(this.#img, volume.name);
    await this.#cli.rbd(['resize', '--no-progress', '--allow-shrink', '--size', '0', spec]);
    await this.#cli.rbd(['resize', '--no-progress', '--size', `${Math.ceil(bytes / MiB)}M`, spec]);
  }

  /** Cinder's `clone_image`: a copy-on-write clone of an image of Glance's rbd store (rbd-clone-image.ts). */
  async cloneImage(
    volume: DriverVolume,
    location: ImageLocationInfo,
    meta: Readonly<Record<string, unknown>>,
  ): Promise<{ update: ModelUpdate | null; cloned: boolean }> {
    const o = this.#o;
    return cloneImage(
      {
        cli: this.#cli,
        pool: o.rbd_pool,
        chunkSizeMiB: o.rbd_store_chunk_size,
        flattenFromSnapshot: o.rbd_flatten_volume_from_snapshot,
        maxCloneDepth: o.rbd_max_clone_depth,
        fsid: async () => (this.#fsid ??= (await this.#cli.cephJson<{ fsid: string }>(['fsid'])).fsid),
        setup: (v) => images.setupOrRemove(this.#img, v),
        log: this.#log,
      },
      volume,
      location,
      meta,
    );
  }

  /** Object size order from rbd_store_chunk_size (MiB), as Cinder: int(log2(bytes)). */
  #chunkOrder(): number {
    return Math.floor(Math.log2(this.#o.rbd_store_chunk_size * MiB));
  }

  async doSetup(): Promise<void> {
    // Cinder's do_setup: the libvirt secret defaults to the cluster's FSID, so ask the cluster.
    this.#fsid = (await this.#cli.cephJson<{ fsid: string }>(['fsid'])).fsid;
    if (this.#o.rbd_keyring_in_connection_info && this.#o.rbd_keyring_conf)
      this.#keyringData = await readFile(this.#o.rbd_keyring_conf, 'utf8');
    this.#log.info(
      { pool: this.#o.rbd_pool, fsid: this.#fsid, order: this.#chunkOrder() },
      'rbd driver: connected to the cluster',
    );
  }

  async checkForSetupError(): Promise<void> {
    for (const opt of ['rbd_cluster_name', 'rbd_pool'] as const)
      if (!this.#o[opt]) throw new VolumeBackendAPIException(`Invalid configuration value: ${opt} is empty`);
    if (this.#o.rbd_keyring_in_connection_info && !this.#keyringData)
      throw new VolumeBackendAPIException(
        'rbd_keyring_in_connection_info is set but rbd_keyring_conf names no readable keyring',
      );
    const pools = await this.#cli.cephJson<string[]>(['osd', 'pool', 'ls']);
    if (!pools.includes(this.#o.rbd_pool))
      throw new VolumeBackendAPIException(`Pool ${this.#o.rbd_pool} does not exist in the cluster`);
  }

  async createVolume(volume: DriverVolume): Promise<ModelUpdate | null> {
    const order = this.#chunkOrder();
    try {
      await this.#cli.rbd([
        'create',
        '--image-format',
        '2',
        '--object-size',
        String(2 ** order),
        '--size',
        `${volume.size}G`,
        images.imageSpec(this.#img, volume.name),
      ]);
    } catch (e) {
      // NOTE: a resumed create finds its own image; repair (grow) instead of failing.
      if (!(e instanceof RbdImageExists)) throw e;
      if ((await images.imageInfo(this.#img, volume.name)).size < volume.size * GiB)
        await images.resizeImage(this.#img, volume.name, volume.size);
    }
    return images.setupOrRemove(this.#img, volume);
  }

  async deleteVolume(volume: DriverVolume): Promise<void> {
    const name = volume.name;
    let snaps: RbdSnapInfo[];
    try {
      snaps = await this.#cli.rbdJson<RbdSnapInfo[]>(['snap', 'ls', images.imageSpec(this.#img, name)]);
    } catch (e) {
      if (!(e instanceof RbdImageNotFound)) throw e;
      this.#log.info({ volume: name }, 'rbd driver: volume no longer exists in the backend');
      return;
    }
    // A `.clone_snap` snapshot means a volume was cloned from this one and may still need it.
    const cloneSnap = snaps.find((s) => s.name.endsWith('.clone_snap'))?.name;
    const parent = await images.cloneParent(this.#img, name, cloneSnap);
    if (cloneSnap !== undefined) {
      // NOTE: Cinder keeps it as a silent volume, removed with the last clone that needs it.
      this.#log.info(
        { volume: name, clone_snap: cloneSnap },
        'rbd driver: volume has clones: renamed .deleted',
      );
      await this.#cli.rbd([
        'rename',
        images.imageSpec(this.#img, name),
        images.imageSpec(this.#img, `${name}.deleted`),
      ]);
      return;
    }
    try {
      await images.removeImage(this.#img, name);
    } catch (e) {
      if (e instanceof RbdImageNotFound) return;
      if (e instanceof RbdImageBusy)
        throw new VolumeIsBusy(
          name,
          'ImageBusy error raised while deleting rbd volume. This may have been caused by a connection from a client that has crashed and, if so, may be resolved by retrying the delete after 30 seconds has elapsed.',
        );
      throw e;
    }
    if (parent) await images.deleteCloneParentRefs(this.#img, parent.image, parent.snapshot);
  }

  async createSnapshot(snapshot: DriverSnapshot): Promise<ModelUpdate | null> {
    await images.snapAndProtect(this.#img, snapshot.volume.name, snapshot.name);
    return null;
  }

  /** Unprotects and removes the snapshot; one with clones stays (SnapshotIsBusy), a missing one is gone. */
  async deleteSnapshot(snapshot: DriverSnapshot): Promise<void> {
    const image = snapshot.volume.name;
    try {
      await images.unprotect(this.#img, image, snapshot.name);
    } catch (e) {
      if (e instanceof RbdImageNotFound) {
        this.#log.info({ snapshot: snapshot.name }, 'rbd driver: snapshot does not exist in the backend');
        return;
      }
      if (!(e instanceof RbdImageBusy)) throw e;
      const children = await this.#cli
        .rbdJson<{ pool: string; image: string }[]>([
          'children',
          images.imageSpec(this.#img, image, snapshot.name),
        ])
        .catch(() => []);
      this.#log.info(
        { snapshot: snapshot.name, children: children.map((c) => `${c.pool}/${c.image}`) },
        'rbd driver: snapshot has dependent volumes',
      );
      throw new SnapshotIsBusy(snapshot.name);
    }
    await images.removeSnap(this.#img, image, snapshot.name);
  }

  /**
   * A copy-on-write clone of the snapshot, its object size the larger of the source's stripe unit
   * and the chunk size; flattened when `rbd_flatten_volume_from_snapshot`; grown to `volume.size`.
   */
  async createVolumeFromSnapshot(
    volume: DriverVolume,
    snapshot: DriverSnapshot,
  ): Promise<ModelUpdate | null> {
    const src = snapshot.volume.name;
    const srcInfo = await images.imageInfo(this.#img, src, snapshot.name);
    const stripe = Math.max(srcInfo.stripe_unit ?? srcInfo.object_size, this.#o.rbd_store_chunk_size * MiB);
    const order = Math.floor(Math.log2(stripe));
    await images.clone(this.#img, src, snapshot.name, volume.name, order);
    const update = await images.setupOrRemove(this.#img, volume);
    if (this.#o.rbd_flatten_volume_from_snapshot)
      await this.#cli.rbd(['flatten', '--no-progress', images.imageSpec(this.#img, volume.name)], 'data');
    if (volume.size * GiB > srcInfo.size) await images.resizeImage(this.#img, volume.name, volume.size);
    return update;
  }

  /**
   * A clone of the source through a temporary snapshot `<new volume>.clone_snap` (or a full copy
   * when `rbd_max_clone_depth <= 0`). When the source already sits `rbd_max_clone_depth` clones
   * deep, the new volume is flattened and the temporary snapshot dropped. Grown to `volume.size`.
   */
  async createClonedVolume(volume: DriverVolume, source: DriverVolume): Promise<ModelUpdate | null> {
    const maxDepth = this.#o.rbd_max_clone_depth;
    if (maxDepth <= 0) {
      // a copy interrupted half-way leaves a partial image: start again
      await this.#cli
        .rbd(['rm', '--no-progress', images.imageSpec(this.#img, volume.name)], 'data')
        .catch((e: unknown) => {
          if (!(e instanceof RbdImageNotFound)) throw e;
        });
      await this.#cli.rbd(
        [
          'copy',
          '--no-progress',
          images.imageSpec(this.#img, source.name),
          images.imageSpec(this.#img, volume.name),
        ],
        'data',
      );
      if (volume.size !== source.size) await images.resizeImage(this.#img, volume.name, volume.size);
      return null;
    }
    const cloneSnap = `${volume.name}.clone_snap`;
    try {
      await images.snapAndProtect(this.#img, source.name, cloneSnap);
      await images.clone(this.#img, source.name, cloneSnap, volume.name, null);
    } catch (e) {
      await images.dropSnap(this.#img, source.name, cloneSnap);
      throw new VolumeBackendAPIException(
        `Failed to clone '${source.name}@${cloneSnap}' to '${volume.name}', error: ${(e as Error).message}`,
      );
    }
    const depth = await images.cloneDepth(this.#img, source.name);
    if (depth >= maxDepth) {
      this.#log.info({ volume: volume.name, depth }, 'rbd driver: maximum clone depth reached: flattening');
      await this.#cli.rbd(['flatten', '--no-progress', images.imageSpec(this.#img, volume.name)], 'data');
      await images.dropSnap(this.#img, source.name, cloneSnap, true);
    }
    let update: ModelUpdate | null;
    try {
      update = await images.setupOrRemove(this.#img, volume);
    } catch (e) {
      await images.dropSnap(this.#img, source.name, cloneSnap);
      throw e;
    }
    if (volume.size !== source.size) await images.resizeImage(this.#img, volume.name, volume.size);
    return update;
  }

  /**
   * `rbd snap rollback`. Rolling back also restores the image's size at the snapshot; should the
   * volume be larger (a direct call: the API reverts only same-size volumes), it is grown back.
   */
  async revertToSnapshot(volume: DriverVolume, snapshot: { id: string; name: string }): Promise<void> {
    await this.#cli.rbd(
      ['snap', 'rollback', '--no-progress', images.imageSpec(this.#img, volume.name, snapshot.name)],
      'data',
    );
    if ((await images.imageInfo(this.#img, volume.name)).size < volume.size * GiB)
      await images.resizeImage(this.#img, volume.name, volume.size);
  }

  /** `rbd resize` to `newSize` GiB (never shrinks: the CLI refuses without --allow-shrink). */
  async extendVolume(volume: DriverVolume, newSize: number): Promise<void> {
    await images.resizeImage(this.#img, volume.name, newSize);
  }

  async volumeExists(volume: DriverVolume): Promise<boolean> {
    try {
      await images.imageInfo(this.#img, volume.name);
      return true;
    } catch (e) {
      if (e instanceof RbdImageNotFound) return false;
      throw e;
    }
  }

  /**
   * Cinder's RBD stats: thin provisioned, capacity from `ceph df` (unknown while the cluster does
   * not answer), provisioned_capacity_gb only for a pool shared with others (rbd-stats.ts).
   */
  async getVolumeStats(_refresh: boolean): Promise<VolumeStats> {
    return volumeStats(this.#cli, this.#o, this.#fsid, this.#log);
  }

  /** Cinder's RBD connection info: monitors, cephx user and libvirt secret (rbd-connection.ts). */
  async initializeConnection(
    volume: DriverVolume,
    _connector: Record<string, unknown>,
  ): Promise<{ driver_volume_type: string; data: Record<string, unknown> }> {
    return connectionInfo(this.#cli, this.#o, volume, this.#fsid, this.#keyringData);
  }

  // ---- manage / unmanage (rbd-manage.ts): images renamed into Kindling's names, data untouched ----

  get #manage(): manage.RbdManageContext {
    return { cli: this.#cli, pool: this.#o.rbd_pool };
  }

  async manageExistingGetSize(volume: DriverVolume, ref: ExistingRef): Promise<number> {
    return manage.manageExistingGetSize(this.#manage, ref, volume.name);
  }

  async manageExisting(volume: DriverVolume, ref: ExistingRef): Promise<ModelUpdate | null> {
    await manage.manageExisting(this.#manage, ref, volume.name);
    this.#log.info({ volume: volume.name, ref }, 'rbd driver: managed an existing image');
    return null;
  }

  async revertManageExisting(volume: DriverVolume, ref: ExistingRef): Promise<void> {
    await manage.revertManageExisting(this.#manage, ref, volume.name);
  }

  async getManageableVolumes(
    volumes: readonly ManagedResource[],
    _snapshots: readonly ManagedResource[],
  ): Promise<ManageableVolume[]> {
    return manage.getManageableVolumes(this.#manage, volumes);
  }

  /** As Cinder's: the image stays, named `volume-<id>`. */
  async unmanage(_volume: DriverVolume): Promise<void> {}

  async manageExistingSnapshotGetSize(snapshot: DriverSnapshot, ref: ExistingRef): Promise<number> {
    return manage.manageExistingSnapshotGetSize(this.#manage, ref, snapshot.volume.name, snapshot.name);
  }

  async manageExistingSnapshot(snapshot: DriverSnapshot, ref: ExistingRef): Promise<ModelUpdate | null> {
    await manage.manageExistingSnapshot(this.#manage, ref, snapshot.volume.name, snapshot.name);
    return null;
  }

  async revertManageExistingSnapshot(snapshot: DriverSnapshot, ref: ExistingRef): Promise<void> {
    await manage.revertManageExistingSnapshot(this.#manage, ref, snapshot.volume.name, snapshot.name);
  }

  async getManageableSnapshots(
    snapshots: readonly ManagedResource[],
    _volumes: readonly ManagedResource[],
  ): Promise<ManageableSnapshot[]> {
    return manage.getManageableSnapshots(this.#manage, snapshots);
  }

  async unmanageSnapshot(snapshot: DriverSnapshot): Promise<void> {
    await manage.unmanageSnapshot(this.#manage, snapshot.volume.name, snapshot.name);
  }

  // ---- backups: commands the backup service runs (rbd-backup-device.ts); nothing to close ----

  /** Checks that the image (or snapshot) is there, so a missing one fails before any stream. */
  async #backupSource(image: string, snap?: string): Promise<string> {
    await images.imageInfo(this.#img, image, snap);
    return images.imageSpec(this.#img, image, snap);
  }

  async openVolumeForBackup(volume: DriverVolume): Promise<BackupDevice> {
    return exportDevice(this.#cli, await this.#backupSource(volume.name));
  }

  async openSnapshotForBackup(snapshot: DriverSnapshot): Promise<BackupDevice> {
    return exportDevice(this.#cli, await this.#backupSource(snapshot.volume.name, snapshot.name));
  }

  /** The backup service sends the whole volume (`volume.size` GiB); the image must hold it. */
  async openVolumeForRestore(volume: DriverVolume): Promise<BackupDevice> {
    const info = await images.imageInfo(this.#img, volume.name);
    if (info.size < volume.size * GiB)
      throw new VolumeBackendAPIException(
        `Image ${volume.name} is ${info.size} bytes, smaller than the volume's ${volume.size} GiB`,
      );
    return restoreDevice(this.#cli, images.imageSpec(this.#img, volume.name), volume.size * GiB);
  }

  /** Nothing to undo: clients map the image themselves. */
  async terminateConnection(
    _volume: DriverVolume,
    _connector: Record<string, unknown> | null,
  ): Promise<void> {}
}
