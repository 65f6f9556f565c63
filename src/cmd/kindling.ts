#!/usr/bin/env node
/**
 * `kindling`: the service entry points, as Cinder's binaries. `serve` runs everything in one process
 * (the embedded default of `npm start`); `api`, `scheduler`, `volume` and `backup` run one service
 * each, for the distributed mode; `manage` holds the operator commands.
 */
import { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/index.js';
import { buildApi } from '../api/app.js';
import { SchedulerManager } from '../scheduler/manager.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import { VolumeAPI } from '../volume/api.js';
import { createCore } from '../service/core.js';
import { startEmbedded } from '../service/embedded.js';
import { startVolumeServices } from '../service/volume-services.js';
import { startBackupService } from '../backup/service.js';
import { runManage } from './manage.js';

const program = new Command();
program
  .name('kindling')
  .description('Block storage service compatible with OpenStack Cinder (Block Storage API v3)');

const collect = (v: string, prev: string[]) => [...prev, v];

/** Stops `close` on SIGINT/SIGTERM, once, then exits. */
function onSignals(log: Logger, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    void close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function redacted(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** A subcommand that takes Cinder's repeatable `--config-file`. */
function serviceCommand(name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('--config-file <path>', 'cinder.conf-style file (repeatable; later files win)', collect, []);
}

async function listenApi(
  config: Config,
  app: Awaited<ReturnType<typeof buildApi>>,
  log: Logger,
): Promise<void> {
  const host = config.DEFAULT.osapi_volume_listen;
  const port = config.DEFAULT.osapi_volume_listen_port;
  await app.listen({ host, port });
  log.info(
    {
      host,
      port,
      database: redacted(config.database.connection),
      transport: redacted(config.DEFAULT.transport_url),
    },
    'API is serving',
  );
}

serviceCommand(
  'serve',
  'run api, scheduler, every enabled backend and the backup service in one process (embedded mode)',
).action(async (opts: { configFile: string[] }) => {
  const config = loadConfig({ files: opts.configFile });
  const k = await startEmbedded(config);
  await listenApi(config, k.app, k.core.log);
  k.core.log.info({ backends: Object.keys(config.backends) }, 'Kindling is serving');
  onSignals(k.core.log, () => k.close());
});

serviceCommand('api', 'run the API service (cinder-api)').action(async (opts: { configFile: string[] }) => {
  const config = loadConfig({ files: opts.configFile });
  const core = await createCore(config);
  const app = await buildApi({
    core,
    volumes: new VolumeAPI(core),
    schedulerRpc: new SchedulerRPCAPI(core.transport),
  });
  await listenApi(config, app, core.log);
  onSignals(core.log, async () => {
    await app.close();
    await core.close();
  });
});

serviceCommand('scheduler', 'run the scheduler service (cinder-scheduler)').action(
  async (opts: { configFile: string[] }) => {
    const config = loadConfig({ files: opts.configFile });
    const core = await createCore(config);
    const scheduler = new SchedulerManager(core);
    await scheduler.start();
    core.log.info({ host: config.DEFAULT.host }, 'scheduler is running');
    onSignals(core.log, async () => {
      await scheduler.stop();
      await core.close();
    });
  },
);

serviceCommand('volume', 'run volume services (cinder-volume): every enabled backend, or those named')
  .option('--backend <name>', 'serve only this backend of enabled_backends (repeatable)', collect, [])
  .action(async (opts: { configFile: string[]; backend: string[] }) => {
    const config = loadConfig({ files: opts.configFile });
    const core = await createCore(config);
    const names = opts.backend.length ? opts.backend : Object.keys(config.backends);
    const managers = await startVolumeServices(core, names);
    core.log.info({ hosts: managers.map((m) => m.host) }, 'volume services are running');
    onSignals(core.log, async () => {
      for (const m of managers) await m.stop();
      await core.close();
    });
  });

serviceCommand('backup', 'run the backup service (cinder-backup)').action(
  async (opts: { configFile: string[] }) => {
    const config = loadConfig({ files: opts.configFile });
    const core = await createCore(config);
    const backup = await startBackupService(core);
    core.log.info({ host: backup.host, driver: backup.driver.name }, 'backup service is running');
    onSignals(core.log, async () => {
      await backup.stop();
      await core.close();
    });
  },
);

program
  .command('manage')
  .description(
    'operator commands (cinder-manage): db sync|version, service list|remove, volume update_host, quota check|sync',
  )
  .option('--config-file <path>', 'cinder.conf-style file (repeatable; later files win)', collect, [])
  .allowUnknownOption(true)
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[], opts: { configFile: string[] }) => {
    const config = loadConfig({ files: opts.configFile });
    process.exitCode = await runManage(args, { config });
  });

await program.parseAsync(process.argv);
