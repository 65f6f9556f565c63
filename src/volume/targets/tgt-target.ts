/**
 * Cinder's `TgtAdm` target helper (`target_helper = tgtadm`): each export is a tgtd target
 * `<target_prefix><volume name>` whose LUN 1 is the volume's file, open to any initiator address,
 * with an incoming CHAP account when use_chap_auth. Unlike Cinder, which writes the persistence
 * file and runs `tgt-admin --update`, Kindling drives `tgtadm` directly (no perl, no config
 * re-parse) and writes the persistence file only for an operator's system tgtd.
 */
import { resolve } from 'node:path';
import { debuglog } from 'node:util';
import { ISCSITargetCreateFailed, ISCSITargetRemoveFailed } from '../../common/errors.js';
import type { TargetOptions } from '../../config/target-options.js';
import { chapFor, exportModel, type Chap } from './export-model.js';
import { iscsiConnectionInfo, validateIscsiConnector } from './iscsi-properties.js';
import { parseProviderAuth, parseProviderLocation } from './provider-location.js';
import type {
  ConnectionInfo,
  ExportModel,
  RestartListener,
  TargetLogger,
  TargetVolume,
  VolumeTarget,
} from './target.js';
import { deleteTarget, ensureTarget, readdLun, type LunSpec } from './tgt-commands.js';
import { persistenceConf, removePersistenceFile, writePersistenceFile } from './tgt-persistence.js';
import { Tgtadm } from './tgtadm.js';
import { acquireDaemon, releaseDaemon, type TgtdBinaries, type TgtdDaemon } from './tgtd-daemon.js';

const debug = debuglog('kindling-tgt');
/** Where a target logs when its owner gives no logger: `NODE_DEBUG=kindling-tgt`. */
export const debugLog: TargetLogger = {
  info: (obj, msg) => debug('%s %j', msg, obj),
  warn: (obj, msg) => debug('WARNING %s %j', msg, obj),
  error: (obj, msg) => debug('ERROR %s %j', msg, obj),
};

export class TgtAdm implements VolumeTarget {
  readonly #o: TargetOptions;
  readonly #log: TargetLogger;
  readonly #bins: TgtdBinaries | undefined;
  #daemon: TgtdDaemon | null = null;
  readonly #listeners = new Set<RestartListener>();
  readonly #relay: RestartListener = async () => {
    await Promise.all([...this.#listeners].map(async (l) => l()));
  };

  constructor(options: TargetOptions, log: TargetLogger = debugLog, bins?: TgtdBinaries) {
    this.#o = options;
    this.#log = log;
    this.#bins = bins;
  }

  /** The tgtd in use (null before start and after stop), for tests and diagnostics. */
  get daemon(): TgtdDaemon | null {
    return this.#daemon;
  }

  async start(): Promise<void> {
    if (!this.#daemon) {
      const o = this.#o;
      this.#daemon = acquireDaemon(
        {
          ip: o.target_ip_address,
          port: o.target_port,
          lld: o.target_protocol,
          controlPort: o.tgtd_control_port,
          stateDir: o.volumes_dir,
        },
        this.#log,
        this.#bins,
      );
      this.#daemon.addListener(this.#relay);
    }
    await this.#daemon.ready();
  }

  async stop(): Promise<void> {
    const d = this.#daemon;
    if (!d) return;
    this.#daemon = null;
    d.removeListener(this.#relay);
    await releaseDaemon(d);
  }

  onRestart(listener: RestartListener): void {
    this.#listeners.add(listener);
  }

  async createExport(volume: TargetVolume, path: string): Promise<ExportModel> {
    const iqn = this.#iqn(volume);
    const chap = chapFor(this.#o, volume);
    await this.start();
    const tid = await this.#export(volume, iqn, path, chap, null);
    return exportModel(this.#o, tid, iqn, chap);
  }

  async ensureExport(volume: TargetVolume, path: string): Promise<void> {
    const location = volume.provider_location ? parseProviderLocation(volume.provider_location) : null;
    const chap = parseProviderAuth(volume.provider_auth);
    await this.start();
    await this.#export(volume, location?.iqn ?? this.#iqn(volume), path, chap, location?.tid ?? null);
  }

  async removeExport(volume: TargetVolume): Promise<void> {
    const iqn = this.#exportedIqn(volume);
    try {
      const d = await this.#daemonWithExports();
      if (d) await d.serialize(async () => d.running && deleteTarget(this.#tgtadm(d), iqn, this.#log));
      await removePersistenceFile(this.#o.volumes_dir, volume.name);
    } catch (err) {
      this.#log.error({ err, volume_id: volume.id, iqn }, 'Failed to remove iscsi target');
      const e = new ISCSITargetRemoveFailed(volume.id);
      e.cause = err;
      throw e;
    }
    this.#log.info({ volume_id: volume.id, iqn }, 'Removed iscsi target');
  }

  async extendTarget(volume: TargetVolume, path: string): Promise<void> {
    const d = await this.#daemonWithExports();
    if (!d) return;
    const iqn = this.#exportedIqn(volume);
    if (await d.serialize(async () => d.running && readdLun(this.#tgtadm(d), iqn, this.#lun(path))))
      this.#log.info({ volume_id: volume.id, iqn }, 'Re-added the LUN of an extended volume');
  }

  initializeConnection(volume: TargetVolume, connector: Record<string, unknown>): ConnectionInfo {
    return iscsiConnectionInfo(this.#o.target_protocol, volume, connector);
  }

  validateConnector(connector: Record<string, unknown>): void {
    validateIscsiConnector(connector);
  }

  /** Writes the persistence file, then makes tgtd match it; on failure neither stays. */
  async #export(
    volume: TargetVolume,
    iqn: string,
    path: string,
    chap: Chap | null,
    preferredTid: number | null,
  ): Promise<number> {
    const d = this.#daemon as TgtdDaemon;
    const lun = this.#lun(path);
    try {
      await writePersistenceFile(
        this.#o.volumes_dir,
        volume.name,
        persistenceConf({
          iqn,
          path: lun.path,
          driver: this.#o.target_protocol,
          chap,
          bsoflags: lun.bsoflags,
          writeCache: lun.writeCache,
        }),
      );
      const tid = await d.serialize(async () => {
        await d.ready(); // NOTE: a tgtd restart may be under way
        return ensureTarget(this.#tgtadm(d), { iqn, lun, chap, preferredTid }, this.#log);
      });
      this.#log.info({ volume_id: volume.id, iqn, tid }, 'Exported volume over iSCSI');
      return tid;
    } catch (err) {
      this.#log.error({ err, volume_id: volume.id, iqn }, 'Failed to create iscsi target for volume');
      await removePersistenceFile(this.#o.volumes_dir, volume.name).catch(() => undefined);
      const e = new ISCSITargetCreateFailed(volume.id);
      e.cause = err;
      throw e;
    }
  }

  /**
   * The tgtd to change for a removal or an extension, or null when it can hold no export: an own
   * tgtd not running now (never started, or restarting) starts empty. An external one persists
   * across Kindling restarts, so it is always asked.
   */
  async #daemonWithExports(): Promise<TgtdDaemon | null> {
    if (this.#o.tgtd_control_port === null && !this.#daemon?.running) return null;
    await this.start();
    return this.#daemon;
  }

  #tgtadm(d: TgtdDaemon): Tgtadm {
    return new Tgtadm(d.controlPort as number, this.#o.target_protocol, this.#bins?.tgtadm);
  }

  #lun(path: string): LunSpec {
    return {
      path: resolve(path),
      bsoflags: this.#o.iscsi_target_flags,
      writeCache: this.#o.iscsi_write_cache,
    };
  }

  #iqn(volume: TargetVolume): string {
    return `${this.#o.target_prefix}${volume.name}`;
  }

  /** The IQN the volume was exported under (provider_location), else the one it would get. */
  #exportedIqn(volume: TargetVolume): string {
    if (!volume.provider_location) return this.#iqn(volume);
    try {
      return parseProviderLocation(volume.provider_location).iqn;
    } catch {
      return this.#iqn(volume);
    }
  }
}
