/** `kindling manage backup list`: every backup not deleted, in cinder-manage's columns. */
import type { Command } from 'commander';
import type { DatabaseHandle } from '../../db/connection.js';
import { backupGetAll } from '../../db/api/backups.js';
import { pyStr, type Io, type Select } from './common.js';

/** cinder-manage's `%-32s\t%-32s\t%-32s\t%-24s\t%-24s\t%-12s\t%-12s\t%-12s\t%-12s`. */
const WIDTHS = [32, 32, 32, 24, 24, 12, 12, 12, 12];

function row(cells: readonly string[]): string {
  return cells.map((c, i) => c.padEnd(WIDTHS[i]!)).join('\t');
}

async function backupList(h: DatabaseHandle, io: Io): Promise<number> {
  io.out(row(['ID', 'User ID', 'Project ID', 'Host', 'Name', 'Container', 'Status', 'Size', 'Object Count']));
  // Newest first, as Cinder's BackupList.get_all (created_at, id descending).
  for (const b of await backupGetAll(h.db, {}, {}))
    io.out(
      row([
        b.id,
        pyStr(b.user_id),
        pyStr(b.project_id),
        pyStr(b.host),
        pyStr(b.display_name),
        pyStr(b.container),
        b.status,
        String(b.size ?? 0),
        String(b.object_count ?? 0),
      ]),
    );
  return 0;
}

/** Adds `backup list` under `parent`. */
export function addBackupCommands(parent: Command, io: Io, select: Select): void {
  parent
    .command('backup')
    .description('backups')
    .command('list')
    .description(
      'every backup (those in progress too) and the host of its backup service: ID User ID Project ID Host Name Container Status Size Object Count',
    )
    .action(() => select({ database: true, run: (h) => backupList(h, io) }));
}
