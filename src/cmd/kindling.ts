#!/usr/bin/env node
/**
 * `kindling`: the service entry points, as Cinder's binaries. `serve` runs everything in one process
 * (the embedded default of `npm start`); `api`, `scheduler`, `volume` and `backup` run one service
 * each, for the distributed mode; `manage` holds the operator commands.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, ConfigErrors, type Config } from '../config/index.js';
import { buildApi } from '../api/app.js';
import { SchedulerManager } from '../scheduler/manager.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import { VolumeAPI } from '../volume/api.js';
import { createCore } from '../service/core.js';
import { startEmbedded } from '../service/embedded.js';
import { startVolumeServices } from '../service/volume-services.js';
import { startBackupService } from '../backup/service.js';
import { loadCheckedConfig } from '../service/config-check.js';
import { listenApi } from '../api/listen.js';
import { StartupError } from '../common/startup-error.js';
import { acquireStateLock } from '../service/state-lock.js';
import { serviceRecords } from '../service/service-record.js';
import { runManage } from './manage.js';
import {
  databaseGauges,
  metricsSource,
  onApiPort,
  poolGauges,
  startMetricsListener,
  type MetricsListener,
} from '../metrics/index.js';

/** package.json's version (two levels up from src/cmd/ and from dist/cmd/ alike). */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const program = new Command();
program
  .name('kindling')
  .description('Block storage service compatible with OpenStack Cinder (Block Storage API v3)')
  .version(VERSION, '-V, --version', 'print the version and exit');

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

/** Listens, then logs where (the database and bus URLs without passwords). */
async function serveApi(
  config: Config,
  app: Awaited<ReturnType<typeof buildApi>>,
  log: Logger,
): Promise<void> {
  await listenApi(config, app);
  log.info(
    {
      host: config.DEFAULT.osapi_volume_listen,
      port: config.DEFAULT.osapi_volume_listen_port,
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
  const config = loadCheckedConfig({ files: opts.configFile, backup: true });
  // NOTE: one serve per state directory: two would share one SQLite database, the volume files
  // and tgtd's state, each believing it owns them.
  const lock = acquireStateLock(config.DEFAULT.state_path);
  let k: Awaited<ReturnType<typeof startEmbedded>> | undefined;
  let metrics: MetricsListener | null = null;
  try {
    k = await startEmbedded(config);
    await serveApi(config, k.app, k.core.log);
    metrics = await startMetricsListener(config, k.metrics, k.core.log);
  } catch (err) {
    await k?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
  const running = k;
  running.core.log.info({ backends: Object.keys(config.backends) }, 'Kindling is serving');
  onSignals(running.core.log, async () => {
    await metrics?.close();
    await running.close();
    lock.release();
  });
});

serviceCommand('api', 'run the API service (cinder-api)').action(async (opts: { configFile: string[] }) => {
  const config = loadCheckedConfig({ files: opts.configFile });
  const core = await createCore(config);
  // The database's gauges are the API's to expose (once per deployment; the pools are the scheduler's).
  const source = metricsSource(config, [databaseGauges(core.dbh.db)]);
  const app = await buildApi({
    core,
    volumes: new VolumeAPI(core),
    schedulerRpc: new SchedulerRPCAPI(core.transport),
    metrics: onApiPort(config, source),
  });
  let metrics: MetricsListener | null = null;
  try {
    await serveApi(config, app, core.log);
    metrics = await startMetricsListener(config, source, core.log);
  } catch (err) {
    await app.close().catch(() => undefined);
    await core.close().catch(() => undefined);
    throw err;
  }
  onSignals(core.log, async () => {
    await metrics?.close();
    await app.close();
    await core.close();
  });
});

serviceCommand('scheduler', 'run the scheduler service (cinder-scheduler)').action(
  async (opts: { configFile: string[] }) => {
    const config = loadCheckedConfig({ files: opts.configFile });
    const core = await createCore(config);
    const scheduler = new SchedulerManager(core);
    await scheduler.start(serviceRecords(core));
    const source = metricsSource(config, [poolGauges(() => scheduler.hostManager.getPools())]);
    const metrics = await startMetricsListener(config, source, core.log);
    core.log.info({ host: config.DEFAULT.host }, 'scheduler is running');
    onSignals(core.log, async () => {
      await metrics?.close();
      await scheduler.stop();
      await core.close();
    });
  },
);

serviceCommand('volume', 'run volume services (cinder-volume): every enabled backend, or those named')
  .option('--backend <name>', 'serve only this backend of enabled_backends (repeatable)', collect, [])
  .action(async (opts: { configFile: string[]; backend: string[] }) => {
    const config = loadCheckedConfig({ files: opts.configFile });
    const core = await createCore(config);
    const names = opts.backend.length ? opts.backend : Object.keys(config.backends);
    const managers = await startVolumeServices(core, names);
    const metrics = await startMetricsListener(config, metricsSource(config), core.log);
    core.log.info({ hosts: managers.map((m) => m.host) }, 'volume services are running');
    onSignals(core.log, async () => {
      await metrics?.close();
      for (const m of managers) await m.stop();
      await core.close();
    });
  });

serviceCommand('backup', 'run the backup service (cinder-backup)').action(
  async (opts: { configFile: string[] }) => {
    const config = loadCheckedConfig({ files: opts.configFile, backup: true });
    const core = await createCore(config);
    const backup = await startBackupService(core, serviceRecords(core));
    const metrics = await startMetricsListener(config, metricsSource(config), core.log);
    core.log.info({ host: backup.host, driver: backup.driver.name }, 'backup service is running');
    onSignals(core.log, async () => {
      await metrics?.close();
      await backup.stop();
      await core.close();
    });
  },
);

program
  .command('manage')
  .description(
    'operator commands (cinder-manage): db sync|version|purge, service list|remove, volume delete|update_host, quota check|sync, backup list, config list (each has --help)',
  )
  .option('--config-file <path>', 'cinder.conf-style file (repeatable; later files win)', collect, [])
  .allowUnknownOption(true)
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[], opts: { configFile: string[] }) => {
    const config = loadCheckedConfig({ files: opts.configFile });
    for (const w of config.warnings) process.stderr.write(`kindling manage: warning: ${w.message}\n`);
    process.exitCode = await runManage(args, { config });
  });

/**
 * Prints why the command could not run, and exits 1: what an operator must fix (configuration,
 * a taken port, a state directory in use) as one line each without a stack; anything else with
 * its stack, as the bug it is.
 */
function fail(err: unknown): never {
  const command = `kindling${program.args[0] ? ` ${program.args[0]}` : ''}`;
  const out = (line: string) => process.stderr.write(`${command}: ${line}\n`);
  if (err instanceof ConfigErrors) for (const w of err.warnings) out(`warning: ${w.message}`);
  if (err instanceof ConfigError || err instanceof StartupError)
    for (const line of err.message.split('\n')) out(`error: ${line}`);
  else out(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}

await program.parseAsync(process.argv).catch(fail);
