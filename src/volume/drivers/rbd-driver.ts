import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { debuglog } from 'node:util';
import type { RbdOptions } from '../../config/rbd-options.js';
import {
  RbdImageBusy,
  RbdImageExists,
  RbdImageHasSnapshots,
  RbdImageNotFound,
  RbdInvalidArgument,
  SnapshotIsBusy,
  VolumeBackendAPIException,
  VolumeIsBusy,
} from '../../common/errors.js';
import {
  GiB,
  type BackupDevice,
  type DriverVolume,
  type ModelUpdate,
  type VolumeDriver,
  type VolumeStats,
} from '../driver.js';
import { exportDevice, restoreDevice } from './rbd-backup-device.js';
import { CephCli } from './rbd-cli.js';
import type { CephMonMap, RbdImageInfo, RbdSnapInfo } from './rbd-json.js';
import { poolCapacity, provisionedGb } from './rbd-stats.js';

/** The little of a logger the driver uses (pino's `info(obj, msg)` fits). */
export interface RbdDriverLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of a `volume_driver = rbd` backend section. */
export interface RbdDriverOptions extends RbdOptions {
  volume_backend_name: string;
  reserved_percentage: number;
  max_over_subscription_ratio: number | string;
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

  #spec(image: string, snap?: string): string {
    return `${this.#o.rbd_pool}/${image}${snap === undefined ? '' : `@${snap}`}`;
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

  async #info(image: string, snap?: string): Promise<RbdImageInfo> {
    return this.#cli.rbdJson<RbdImageInfo>(['info', this.#spec(image, snap)]);
  }

  async #resize(image: string, gb: number): Promise<void> {
    await this.#cli.rbd(['resize', '--no-progress', '--size', `${gb}G`, this.#spec(image)]);
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
        this.#spec(volume.name),
      ]);
    } catch (e) {
      // NOTE: a resumed create finds its own image; repair (grow) instead of failing.
      if (!(e instanceof RbdImageExists)) throw e;
      if ((await this.#info(volume.name)).size < volume.size * GiB)
        await this.#resize(volume.name, volume.size);
    }
    return this.#setupOrRemove(volume);
  }

  /**
   * Cinder's `_setup_volume` for a new image: a multiattach type turns off the features that would
   * let one client fence the others and keeps them in provider_location. A replicated type needs
   * RBD mirroring, which this driver does not set up: such a type is refused.
   */
  async #setupVolume(volume: DriverVolume): Promise<ModelUpdate | null> {
    const specs = volume.volume_type_extra_specs ?? {};
    const multiattach = isTrue(specs.multiattach);
    if (isTrue(specs.replication_enabled))
      throw new VolumeBackendAPIException(
        `Volume ${volume.id}: replication_enabled types need RBD mirroring, which this backend does not provide`,
      );
    if (!multiattach) return null;
    const features = (await this.#info(volume.name)).features;
    const off = MULTIATTACH_EXCLUSIONS.filter((f) => features.includes(f));
    if (off.length) await this.#cli.rbd(['feature', 'disable', this.#spec(volume.name), ...off]);
    const saved = features.reduce((bits, f) => bits | (FEATURE_BITS[f] ?? 0), 0);
    return { provider_location: dumps({ saved_features: saved }) };
  }

  /** `_setup_volume`, removing the new image when it fails (as Cinder does). */
  async #setupOrRemove(volume: DriverVolume): Promise<ModelUpdate | null> {
    try {
      return await this.#setupVolume(volume);
    } catch (e) {
      await this.#cli.rbd(['rm', '--no-progress', this.#spec(volume.name)], 'data').catch(() => undefined);
      throw e;
    }
  }

  async deleteVolume(volume: DriverVolume): Promise<void> {
    const name = volume.name;
    let snaps: RbdSnapInfo[];
    try {
      snaps = await this.#cli.rbdJson<RbdSnapInfo[]>(['snap', 'ls', this.#spec(name)]);
    } catch (e) {
      if (!(e instanceof RbdImageNotFound)) throw e;
      this.#log.info({ volume: name }, 'rbd driver: volume no longer exists in the backend');
      return;
    }
    // A `.clone_snap` snapshot means a volume was cloned from this one and may still need it.
    const cloneSnap = snaps.find((s) => s.name.endsWith('.clone_snap'))?.name;
    const parent = await this.#cloneParent(name, cloneSnap);
    if (cloneSnap !== undefined) {
      // NOTE: Cinder keeps it as a silent volume, removed with the last clone that needs it.
      this.#log.info(
        { volume: name, clone_snap: cloneSnap },
        'rbd driver: volume has clones: renamed .deleted',
      );
      await this.#cli.rbd(['rename', this.#spec(name), this.#spec(`${name}.deleted`)]);
      return;
    }
    try {
      await this.#removeImage(name);
    } catch (e) {
      if (e instanceof RbdImageNotFound) return;
      if (e instanceof RbdImageBusy)
        throw new VolumeIsBusy(
          name,
          'ImageBusy error raised while deleting rbd volume. This may have been caused by a connection from a client that has crashed and, if so, may be resolved by retrying the delete after 30 seconds has elapsed.',
        );
      throw e;
    }
    if (parent) await this.#deleteCloneParentRefs(parent.image, parent.snapshot);
  }

  /**
   * Removes an image; one that still has snapshots (a protected one with clones) or is busy goes
   * to the RBD trash instead, where its clones keep reading it. A busy trash move is retried.
   */
  async #removeImage(name: string): Promise<void> {
    try {
      await this.#cli.rbd(['rm', '--no-progress', this.#spec(name)], 'data');
      return;
    } catch (e) {
      if (!(e instanceof RbdImageHasSnapshots || e instanceof RbdImageBusy)) throw e;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        this.#log.info({ volume: name }, 'rbd driver: moving volume to the trash');
        await this.#cli.rbd(['trash', 'mv', this.#spec(name)]);
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
  async #cloneParent(image: string, snap?: string): Promise<{ image: string; snapshot: string } | null> {
    let info: RbdImageInfo;
    try {
      info = await this.#info(image, snap);
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
  async #deleteCloneParentRefs(parentName: string, parentSnap: string): Promise<void> {
    const grandparent = await this.#cloneParent(parentName, parentSnap);
    await this.#unprotect(parentName, parentSnap);
    await this.#removeSnap(parentName, parentSnap);
    const left = await this.#cli.rbdJson<RbdSnapInfo[]>(['snap', 'ls', this.#spec(parentName)]);
    if (left.length > 0 || !parentName.endsWith('.deleted')) return;
    this.#log.info({ volume: parentName }, 'rbd driver: removing deleted parent');
    await this.#cli.rbd(['rm', '--no-progress', this.#spec(parentName)], 'data');
    if (grandparent) await this.#deleteCloneParentRefs(grandparent.image, grandparent.snapshot);
  }

  /** Unprotects a snapshot; one that is not protected is fine. Other errors (busy, missing) propagate. */
  async #unprotect(image: string, snap: string): Promise<void> {
    try {
      await this.#cli.rbd(['snap', 'unprotect', this.#spec(image, snap)]);
    } catch (e) {
      if (!(e instanceof RbdInvalidArgument)) throw e;
    }
  }

  async #removeSnap(image: string, snap: string): Promise<void> {
    try {
      await this.#cli.rbd(['snap', 'rm', '--no-progress', this.#spec(image, snap)], 'data');
    } catch (e) {
      if (!(e instanceof RbdImageNotFound)) throw e;
    }
  }

  /** Takes and protects snapshot `snap` of `image`; a resumed call finds it taken or protected. */
  async #snapAndProtect(image: string, snap: string): Promise<void> {
    try {
      await this.#cli.rbd(['snap', 'create', '--no-progress', this.#spec(image, snap)]);
    } catch (e) {
      if (!(e instanceof RbdImageExists)) throw e;
    }
    try {
      await this.#cli.rbd(['snap', 'protect', this.#spec(image, snap)]);
    } catch (e) {
      if (!(e instanceof RbdImageBusy && /already protected/.test(e.stderr))) throw e;
    }
  }

  async createSnapshot(snapshot: DriverSnapshot): Promise<ModelUpdate | null> {
    await this.#snapAndProtect(snapshot.volume.name, snapshot.name);
    return null;
  }

  /** Unprotects and removes the snapshot; one with clones stays (SnapshotIsBusy), a missing one is gone. */
  async deleteSnapshot(snapshot: DriverSnapshot): Promise<void> {
    const image = snapshot.volume.name;
    try {
      await this.#unprotect(image, snapshot.name);
    } catch (e) {
      if (e instanceof RbdImageNotFound) {
        this.#log.info({ snapshot: snapshot.name }, 'rbd driver: snapshot does not exist in the backend');
        return;
      }
      if (!(e instanceof RbdImageBusy)) throw e;
      const children = await this.#cli
        .rbdJson<{ pool: string; image: string }[]>(['children', this.#spec(image, snapshot.name)])
        .catch(() => []);
      this.#log.info(
        { snapshot: snapshot.name, children: children.map((c) => `${c.pool}/${c.image}`) },
        'rbd driver: snapshot has dependent volumes',
      );
      throw new SnapshotIsBusy(snapshot.name);
    }
    await this.#removeSnap(image, snapshot.name);
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
    const srcInfo = await this.#info(src, snapshot.name);
    const stripe = Math.max(srcInfo.stripe_unit ?? srcInfo.object_size, this.#o.rbd_store_chunk_size * MiB);
    const order = Math.floor(Math.log2(stripe));
    await this.#clone(src, snapshot.name, volume.name, order);
    const update = await this.#setupOrRemove(volume);
    if (this.#o.rbd_flatten_volume_from_snapshot)
      await this.#cli.rbd(['flatten', '--no-progress', this.#spec(volume.name)], 'data');
    if (volume.size * GiB > srcInfo.size) await this.#resize(volume.name, volume.size);
    return update;
  }

  /** `rbd clone`; a resumed call finds the clone made. `order` null: the parent's object size. */
  async #clone(image: string, snap: string, dest: string, order: number | null): Promise<void> {
    try {
      await this.#cli.rbd([
        'clone',
        ...(order === null ? [] : ['--object-size', String(2 ** order)]),
        this.#spec(image, snap),
        this.#spec(dest),
      ]);
    } catch (e) {
      if (!(e instanceof RbdImageExists)) throw e;
    }
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
      await this.#cli.rbd(['rm', '--no-progress', this.#spec(volume.name)], 'data').catch((e: unknown) => {
        if (!(e instanceof RbdImageNotFound)) throw e;
      });
      await this.#cli.rbd(
        ['copy', '--no-progress', this.#spec(source.name), this.#spec(volume.name)],
        'data',
      );
      if (volume.size !== source.size) await this.#resize(volume.name, volume.size);
      return null;
    }
    const cloneSnap = `${volume.name}.clone_snap`;
    try {
      await this.#snapAndProtect(source.name, cloneSnap);
      await this.#clone(source.name, cloneSnap, volume.name, null);
    } catch (e) {
      await this.#dropSnap(source.name, cloneSnap);
      throw new VolumeBackendAPIException(
        `Failed to clone '${source.name}@${cloneSnap}' to '${volume.name}', error: ${(e as Error).message}`,
      );
    }
    const depth = await this.#cloneDepth(source.name);
    if (depth >= maxDepth) {
      this.#log.info({ volume: volume.name, depth }, 'rbd driver: maximum clone depth reached: flattening');
      await this.#cli.rbd(['flatten', '--no-progress', this.#spec(volume.name)], 'data');
      await this.#dropSnap(source.name, cloneSnap, true);
    }
    let update: ModelUpdate | null;
    try {
      update = await this.#setupOrRemove(volume);
    } catch (e) {
      await this.#dropSnap(source.name, cloneSnap);
      throw e;
    }
    if (volume.size !== source.size) await this.#resize(volume.name, volume.size);
    return update;
  }

  /** Unprotects and removes a temporary snapshot; best effort unless `strict`. */
  async #dropSnap(image: string, snap: string, strict = false): Promise<void> {
    try {
      await this.#unprotect(image, snap);
      await this.#removeSnap(image, snap);
    } catch (e) {
      if (strict) throw e;
      this.#log.warn({ image, snap, err: (e as Error).message }, 'rbd driver: could not drop snapshot');
    }
  }

  /** How many clones-of-volumes stand behind `image` (Cinder's `_get_clone_depth`). */
  async #cloneDepth(image: string): Promise<number> {
    let depth = 0;
    for (let parent = await this.#cloneParent(image); parent; parent = await this.#cloneParent(parent.image))
      depth++;
    return depth;
  }

  /**
   * `rbd snap rollback`. Rolling back also restores the image's size at the snapshot; should the
   * volume be larger (a direct call: the API reverts only same-size volumes), it is grown back.
   */
  async revertToSnapshot(volume: DriverVolume, snapshot: { id: string; name: string }): Promise<void> {
    await this.#cli.rbd(
      ['snap', 'rollback', '--no-progress', this.#spec(volume.name, snapshot.name)],
      'data',
    );
    if ((await this.#info(volume.name)).size < volume.size * GiB)
      await this.#resize(volume.name, volume.size);
  }

  /** `rbd resize` to `newSize` GiB (never shrinks: the CLI refuses without --allow-shrink). */
  async extendVolume(volume: DriverVolume, newSize: number): Promise<void> {
    await this.#resize(volume.name, newSize);
  }

  async volumeExists(volume: DriverVolume): Promise<boolean> {
    try {
      await this.#info(volume.name);
      return true;
    } catch (e) {
      if (e instanceof RbdImageNotFound) return false;
      throw e;
    }
  }

  /**
   * Cinder's RBD stats: thin provisioned, capacity from `ceph df` (unknown while the cluster does
   * not answer), provisioned_capacity_gb only for a pool shared with others.
   */
  async getVolumeStats(_refresh: boolean): Promise<VolumeStats> {
    const o = this.#o;
    const name = o.volume_backend_name || 'RBD';
    const pool: VolumeStats['pools'][number] = {
      pool_name: name,
      total_capacity_gb: 'unknown',
      free_capacity_gb: 'unknown',
      reserved_percentage: o.reserved_percentage,
      thin_provisioning_support: true,
      thick_provisioning_support: false,
      max_over_subscription_ratio: o.max_over_subscription_ratio,
      QoS_support: false,
      multiattach: true,
      location_info: `${o.rbd_cluster_name}:${o.rbd_ceph_conf}:${this.#fsid ?? 'None'}:${o.rbd_user ?? 'None'}:${o.rbd_pool}`,
      backend_state: 'down',
      replication_enabled: false,
      online_extend_support: true,
    };
    try {
      const { free, total } = await poolCapacity(this.#cli, o.rbd_pool, o.report_dynamic_total_capacity);
      pool.free_capacity_gb = free;
      pool.total_capacity_gb = total;
      if (!o.rbd_exclusive_cinder_pool)
        pool.provisioned_capacity_gb = await provisionedGb(this.#cli, o.rbd_pool);
      pool.backend_state = 'up';
    } catch (e) {
      // NOTE: Cinder too reports unknown capacity and `down` while the cluster does not answer.
      if (!(e instanceof VolumeBackendAPIException)) throw e;
      this.#log.warn({ err: e.message }, 'rbd driver: error refreshing volume stats');
    }
    return {
      volume_backend_name: name,
      vendor_name: 'Open Source',
      driver_version: '1.3.0',
      storage_protocol: 'ceph',
      pools: [pool],
    };
  }

  /** Cinder's RBD connection info: monitors from `ceph mon dump`, cephx user and libvirt secret. */
  async initializeConnection(
    volume: DriverVolume,
    _connector: Record<string, unknown>,
  ): Promise<{ driver_volume_type: string; data: Record<string, unknown> }> {
    const monmap = await this.#cli.cephJson<CephMonMap>(['mon', 'dump']);
    const hosts: string[] = [];
    const ports: string[] = [];
    for (const mon of monmap.mons) {
      const hostPort = mon.addr.slice(0, mon.addr.lastIndexOf('/'));
      const colon = hostPort.lastIndexOf(':');
      hosts.push(hostPort.slice(0, colon).replace(/^\[|\]$/g, ''));
      ports.push(hostPort.slice(colon + 1));
    }
    const o = this.#o;
    const data: Record<string, unknown> = {
      name: `${o.rbd_pool}/${volume.name}`,
      hosts,
      ports,
      cluster_name: o.rbd_cluster_name,
      auth_enabled: o.rbd_user !== null,
      auth_username: o.rbd_user,
      secret_type: 'ceph',
      secret_uuid: o.rbd_secret_uuid ?? this.#fsid,
      volume_id: volume.id,
      discard: true,
    };
    if (this.#keyringData) data.keyring = this.#keyringData;
    return { driver_volume_type: 'rbd', data };
  }

  // ---- backups: commands the backup service runs (rbd-backup-device.ts); nothing to close ----

  /** Checks that the image (or snapshot) is there, so a missing one fails before any stream. */
  async #backupSource(image: string, snap?: string): Promise<string> {
    await this.#info(image, snap);
    return this.#spec(image, snap);
  }

  async openVolumeForBackup(volume: DriverVolume): Promise<BackupDevice> {
    return exportDevice(this.#cli, await this.#backupSource(volume.name));
  }

  async openSnapshotForBackup(snapshot: DriverSnapshot): Promise<BackupDevice> {
    return exportDevice(this.#cli, await this.#backupSource(snapshot.volume.name, snapshot.name));
  }

  /** The backup service sends the whole volume (`volume.size` GiB); the image must hold it. */
  async openVolumeForRestore(volume: DriverVolume): Promise<BackupDevice> {
    const info = await this.#info(volume.name);
    if (info.size < volume.size * GiB)
      throw new VolumeBackendAPIException(
        `Image ${volume.name} is ${info.size} bytes, smaller than the volume's ${volume.size} GiB`,
      );
    return restoreDevice(this.#cli, this.#spec(volume.name), volume.size * GiB);
  }

  /** Nothing to undo: clients map the image themselves. */
  async terminateConnection(
    _volume: DriverVolume,
    _connector: Record<string, unknown> | null,
  ): Promise<void> {}
}
