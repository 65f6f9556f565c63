/** `kindling manage service list|remove`: cinder-manage's view of the services table. */
import type { Command } from 'commander';
import type { DatabaseHandle } from '../../db/connection.js';
import { serviceDestroy, serviceGetAll, serviceIsUp } from '../../db/api/services.js';
import { columns, shortTime, type Io, type Select } from './common.js';

async function serviceList(h: DatabaseHandle, io: Io): Promise<number> {
  const header = [
    'Binary',
    'Host',
    'Zone',
    'Status',
    'State',
    'Updated At',
    'RPC Version',
    'Object Version',
    'Cluster',
  ];
  const rows = (await serviceGetAll(h.db)).map((s) => [
    s.binary,
    s.host,
    s.availability_zone,
    s.disabled ? 'disabled' : 'enabled',
    serviceIsUp(s, io.config.DEFAULT.service_down_time) ? ':-)' : 'XXX',
    shortTime(s.updated_at ?? s.created_at),
    // NOTE: Kindling services do not record RPC/object versions; the columns stay for scripts.
    '',
    '',
    s.cluster_name ?? '',
  ]);
  for (const line of columns([header, ...rows], [16, 36, 16, 10, 5, 20, 12, 15, 36])) io.out(line);
  return 0;
}

async function serviceRemove(
  h: DatabaseHandle,
  io: Io,
  binary: string,
  host: string,
  force: boolean,
): Promise<number> {
  const row = (await serviceGetAll(h.db, { binary, host })).find(
    (s) => s.host === host && s.binary === binary,
  );
  if (!row) {
    io.err(`No service ${binary} on host ${host}; nothing removed.`);
    return 2;
  }
  // NOTE: cinder-manage removes even a running service (Cinder's service then re-creates its row at
  // the next report). Kindling's heartbeat does not, so a running service would silently vanish
  // from scheduling: refuse unless --force.
  if (!force && serviceIsUp(row, io.config.DEFAULT.service_down_time)) {
    io.err(`Service ${binary} on host ${host} is up; stop it first (or pass --force).`);
    return 1;
  }
  await serviceDestroy(h.db, row.id);
  io.out(`Service ${binary} on host ${host} removed.`);
  return 0;
}

/** Adds `service list|remove` under `parent`. */
export function addServiceCommands(parent: Command, io: Io, select: Select): void {
  const service = parent.command('service').description('the services table (cinder service-list)');
  service
    .command('list')
    .description(
      'every service: Binary Host Zone Status State (:-) up, XXX down) Updated At RPC Version Object Version Cluster',
    )
    .action(() => select({ database: true, run: (h) => serviceList(h, io) }));
  service
    .command('remove')
    .description('soft-delete the row of a service that is gone (exit 2 when there is none)')
    .argument('<binary>', 'service to delete from the host (cinder-volume, cinder-scheduler, cinder-backup)')
    .argument('<host_name>', 'host from which to remove the service (host@backend for a volume service)')
    .option('--force', 'remove it even while it is up (its heartbeat does not bring it back)')
    .action((binary: string, host: string, opts: { force?: boolean }) =>
      select({ database: true, run: (h) => serviceRemove(h, io, binary, host, opts.force === true) }),
    );
}
