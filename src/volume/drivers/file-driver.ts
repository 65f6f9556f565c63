import { mkdir, open, readdir, rm, stat, statfs, truncate, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { GiB, type DriverVolume, type ModelUpdate, type VolumeDriver, type VolumeStats } from '../driver.js';

/** Options of a `volume_driver = file` backend section. */
export interface FileDriverOptions {
  volume_backend_name: string;
  /** Directory holding the sparse files (`file_volume_dir`). */
  file_volume_dir: string;
  reserved_percentage: number;
  max_over_subscription_ratio: number | string;
}

/**
 * Volumes as sparse raw files `volume-<id>` in one directory. Creating one is a truncate: it takes
 * no space until written. Capacity is the real filesystem's, so the scheduler's thin-provisioning
 * maths sees the truth.
 */
export class FileDriver implements VolumeDriver {
  readonly #opts: FileDriverOptions;

  constructor(opts: FileDriverOptions) {
    this.#opts = opts;
  }

  #path(v: { name: string }): string {
    return join(this.#opts.file_volume_dir, v.name);
  }

  async doSetup(): Promise<void> {
    await mkdir(this.#opts.file_volume_dir, { recursive: true });
  }

  async checkForSetupError(): Promise<void> {
    await access(this.#opts.file_volume_dir, constants.W_OK | constants.R_OK);
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
    await rm(this.#path(volume), { force: true });
  }

  async extendVolume(volume: DriverVolume, newSize: number): Promise<void> {
    await truncate(this.#path(volume), newSize * GiB);
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
      storage_protocol: 'file',
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
          multiattach: false,
          online_extend_support: false,
          sparse_copy_volume: true,
        },
      ],
    };
  }
}
