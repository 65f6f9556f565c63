import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { CoreDeps } from '../common/deps.js';
import { buildApi } from '../api/app.js';
import { SchedulerManager } from '../scheduler/manager.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import { VolumeAPI } from '../volume/api.js';
import type { VolumeDriver } from '../volume/driver.js';
import { createDriver, type BackendSectionOptions } from '../volume/drivers/index.js';
import { VolumeManager } from '../volume/manager.js';
import { createCore, type CoreOptions } from './core.js';

/** A running embedded Kindling: api + scheduler + one volume service per enabled backend. */
export interface Embedded {
  readonly core: CoreDeps;
  readonly app: FastifyInstance;
  readonly scheduler: SchedulerManager;
  readonly volumeManagers: readonly VolumeManager[];
  close(): Promise<void>;
}

export interface EmbeddedOptions extends CoreOptions {
  /** Replaces the driver of a backend (tests use it to inject failures). */
  driverFactory?: (section: BackendSectionOptions) => VolumeDriver;
}

/** Builds every service in this process over the in-process bus (`kindling serve`). */
export async function startEmbedded(config: Config, opts: EmbeddedOptions = {}): Promise<Embedded> {
  const core = await createCore(config, opts);
  const scheduler = new SchedulerManager(core);
  await scheduler.start();
  const volumeManagers: VolumeManager[] = [];
  for (const [name, section] of Object.entries(config.backends)) {
    const s: BackendSectionOptions = {
      name,
      volume_driver: section.volume_driver,
      volume_backend_name: section.volume_backend_name,
      file_volume_dir: section.file_volume_dir,
      reserved_percentage: section.reserved_percentage,
      max_over_subscription_ratio: section.max_over_subscription_ratio,
      extra: { ...section.extra },
    };
    const driver = (opts.driverFactory ?? createDriver)(s);
    const m = new VolumeManager(
      core,
      name,
      section.volume_backend_name,
      driver,
      section.backend_availability_zone ?? config.DEFAULT.storage_availability_zone,
    );
    await m.start();
    volumeManagers.push(m);
  }
  const app = await buildApi({
    core,
    volumes: new VolumeAPI(core),
    schedulerRpc: new SchedulerRPCAPI(core.transport),
  });
  return {
    core,
    app,
    scheduler,
    volumeManagers,
    async close() {
      await app.close();
      for (const m of volumeManagers) await m.stop();
      await scheduler.stop();
      await core.transport.close();
      await core.dbh.close();
    },
  };
}
