/**
 * `target_helper = fake`, for tests only (Cinder has a `fake` helper too): a real target that keeps
 * its exports in memory instead of asking a daemon, so attach paths can be tested where tgt is not
 * installed. Answers exactly what the tgtadm helper would (provider_location, provider_auth,
 * connection info); {@link FakeTarget.simulateRestart} loses every export as a tgtd restart does.
 */
import type { TargetOptions } from '../../config/target-options.js';
import { chapFor, exportModel } from './export-model.js';
import { iscsiConnectionInfo, validateIscsiConnector } from './iscsi-properties.js';
import { parseProviderAuth, parseProviderLocation } from './provider-location.js';
import type { ConnectionInfo, ExportModel, RestartListener, TargetVolume, VolumeTarget } from './target.js';
import { freeTid } from './tgt-show.js';

/** One export the fake target holds. */
export interface FakeExport {
  readonly tid: number;
  readonly iqn: string;
  readonly path: string;
  readonly chap: { readonly username: string; readonly password: string } | null;
  /** How often its LUN was re-added (extendTarget). */
  readonly extended: number;
}

export class FakeTarget implements VolumeTarget {
  readonly #o: TargetOptions;
  readonly #exports = new Map<string, FakeExport>();
  readonly #listeners = new Set<RestartListener>();
  #started = false;

  constructor(options: TargetOptions) {
    this.#o = options;
  }

  /** Whether start() ran since the last stop(). */
  get started(): boolean {
    return this.#started;
  }

  /** The exports now held, by IQN. */
  get exports(): ReadonlyMap<string, FakeExport> {
    return this.#exports;
  }

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
    this.#exports.clear();
  }

  onRestart(listener: RestartListener): void {
    this.#listeners.add(listener);
  }

  /** Loses every export, then calls the restart listeners (as a crashed and restarted tgtd). */
  async simulateRestart(): Promise<void> {
    this.#exports.clear();
    for (const l of this.#listeners) await l();
  }

  async createExport(volume: TargetVolume, path: string): Promise<ExportModel> {
    await this.start();
    const iqn = `${this.#o.target_prefix}${volume.name}`;
    const chap = chapFor(this.#o, volume);
    const tid = this.#put(iqn, path, chap, null);
    return exportModel(this.#o, tid, iqn, chap);
  }

  async ensureExport(volume: TargetVolume, path: string): Promise<void> {
    await this.start();
    const location = volume.provider_location ? parseProviderLocation(volume.provider_location) : null;
    const iqn = location?.iqn ?? `${this.#o.target_prefix}${volume.name}`;
    this.#put(iqn, path, parseProviderAuth(volume.provider_auth), location?.tid ?? null);
  }

  async removeExport(volume: TargetVolume): Promise<void> {
    this.#exports.delete(this.#iqnOf(volume));
  }

  async extendTarget(volume: TargetVolume, _path: string): Promise<void> {
    const iqn = this.#iqnOf(volume);
    const e = this.#exports.get(iqn);
    if (e) this.#exports.set(iqn, { ...e, extended: e.extended + 1 });
  }

  initializeConnection(volume: TargetVolume, connector: Record<string, unknown>): ConnectionInfo {
    return iscsiConnectionInfo(this.#o.target_protocol, volume, connector);
  }

  validateConnector(connector: Record<string, unknown>): void {
    validateIscsiConnector(connector);
  }

  #iqnOf(volume: TargetVolume): string {
    return volume.provider_location
      ? parseProviderLocation(volume.provider_location).iqn
      : `${this.#o.target_prefix}${volume.name}`;
  }

  #put(iqn: string, path: string, chap: FakeExport['chap'], preferredTid: number | null): number {
    const had = this.#exports.get(iqn);
    const taken = [...this.#exports.values()];
    const tid =
      had?.tid ??
      (preferredTid !== null && !taken.some((e) => e.tid === preferredTid) ? preferredTid : freeTid(taken));
    this.#exports.set(iqn, { tid, iqn, path, chap, extended: had?.extended ?? 0 });
    return tid;
  }
}
