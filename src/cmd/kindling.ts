#!/usr/bin/env node
/**
 * `kindling`: the service entry points. `serve` runs everything in one process (the embedded
 * default of `npm start`).
 */
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { startEmbedded } from '../service/embedded.js';

const program = new Command();
program
  .name('kindling')
  .description('Block storage service compatible with OpenStack Cinder (Block Storage API v3)');

const collect = (v: string, prev: string[]) => [...prev, v];

program
  .command('serve')
  .description('run api, scheduler and every enabled backend in one process (embedded mode)')
  .option('--config-file <path>', 'cinder.conf-style file (repeatable; later files win)', collect, [])
  .action(async (opts: { configFile: string[] }) => {
    const config = loadConfig({ files: opts.configFile });
    const k = await startEmbedded(config);
    const host = config.DEFAULT.osapi_volume_listen;
    const port = config.DEFAULT.osapi_volume_listen_port;
    await k.app.listen({ host, port });
    k.core.log.info(
      {
        host,
        port,
        backends: Object.keys(config.backends),
        database: config.database.connection.replace(/\/\/[^@]*@/, '//***@'),
      },
      'Kindling is serving',
    );
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      k.core.log.info({ signal }, 'shutting down');
      void k.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });

await program.parseAsync(process.argv);
