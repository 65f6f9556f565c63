/** `kindling manage volume update_host|delete`: volumes whose backend moved or is gone. */
import { InvalidArgumentError, type Command } from 'commander';
import type { DatabaseHandle } from '../../db/connection.js';
import { volumeUpdateHost } from '../../db/api/volumes.js';
import type { Io, Select } from './common.js';
import { volumeDelete } from './volume-delete.js';

async function volumeMove(h: DatabaseHandle, io: Io, from: string, to: string): Promise<number> {
  const n = await volumeUpdateHost(h.db, from, to);
  io.out(`Moved ${n} volume(s) from ${from} to ${to}.`);
  return 0;
}

function nonEmpty(value: string): string {
  if (!value) throw new InvalidArgumentError('must not be empty');
  return value;
}

/** Adds `volume update_host|delete` under `parent`. */
export function addVolumeCommands(parent: Command, io: Io, select: Select): void {
  const volume = parent.command('volume').description('volumes in an odd state');
  volume
    .command('delete')
    .description(
      'delete a volume whatever its status (one stuck, or whose service is gone): refused when it is attached or has snapshots; a volume never placed on a host is removed from the database only',
    )
    .argument('<volume_id>', 'volume ID to be deleted')
    .action((volumeId: string) => select({ database: true, run: (h) => volumeDelete(h, io, volumeId) }));
  volume
    .command('update_host')
    .description(
      'move the volumes of a host to another (a renamed node or backend): host@backend matches its pools too',
    )
    .requiredOption(
      '--currenthost <host>',
      'existing volume host name in the format host@backend#pool',
      nonEmpty,
    )
    .requiredOption('--newhost <host>', 'new volume host name in the format host@backend#pool', nonEmpty)
    .action((opts: { currenthost: string; newhost: string }) =>
      select({ database: true, run: (h) => volumeMove(h, io, opts.currenthost, opts.newhost) }),
    );
}
