import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { CoreDeps } from '../common/deps.js';
import { buildApi } from '../api/app.js';
import { SchedulerManager } from '../scheduler/manager.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import { VolumeAPI } from '../volume/api.js';
import type { VolumeManager } from '../volume/manager.js';
import { startVolumeServices, type DriverFactory } from './volume-services.js';
import type { BackupManager } from '../backup/manager.js';
import { backupOptions } from '../backup/options.js';
import { startBackupService } from '../backup/service.js';
import { createCore, type CoreOptions } from './core.js';
import { serviceRecords } from './service-record.js';
import {
  databaseGauges,
  metricsSource,
  onApiPort,
  poolGauges,
  type MetricsSource,
} from '../metrics/index.js';

/** A running embedded Kindling: api + scheduler + one volume service per enabled backend. */
export interface Embedded {
  readonly core: CoreDeps;
  readonly app: FastifyInstance;
  readonly scheduler: SchedulerManager;
  readonly volumeManagers: readonly VolumeManager[];
  /** The backup service (`cinder-backup`), unless `[DEFAULT] enable_backup = false`. */
  readonly backup: BackupManager | null;
  /** What `/metrics` answers (on the API port, or `[metrics] port`); null when disabled. */
  readonly metrics: MetricsSource | null;
  close(): Promise<void>;
}

export interface EmbeddedOptions extends CoreOptions {
  /** Replaces the driver of a backend (tests use it to inject failures). */
  driverFactory?: DriverFactory;
}

/** Builds every service in this process over the in-process bus (`kindling serve`). */
export async function startEmbedded(config: Config, opts: EmbeddedOptions = {}): Promise<Embedded> {
  const core = await createCore(config, opts);
  const scheduler = new SchedulerManager(core);
  await scheduler.start(serviceRecords(core));
  const volumeManagers = await startVolumeServices(core, undefined, opts.driverFactory);
  const backupOpts = backupOptions(config);
  // NOTE: on by default, as an all-in-one deployment (DevStack's c-bak) has it: backups to
  // `<state_path>/backup`, nothing written until a backup is made.
  const backup = backupOpts.enable_backup
    ? await startBackupService(core, serviceRecords(core), backupOpts)
    : null;
  // The process's metrics, the database's gauges and the scheduler's pools, all in one place.
  const metrics = metricsSource(config, [
    databaseGauges(core.dbh.db),
    poolGauges(() => scheduler.hostManager.getPools()),
  ]);
  const app = await buildApi({
    core,
    volumes: new VolumeAPI(core),
    schedulerRpc: new SchedulerRPCAPI(core.transport),
    metrics: onApiPort(config, metrics),
  });
  return {
    core,
    app,
    scheduler,
    volumeManagers,
    backup,
    metrics,
    async close() {
      await app.close();
      await backup?.stop();
      for (const m of volumeManagers) await m.stop();
      await scheduler.stop();
      await core.close();
    },
  };
}
