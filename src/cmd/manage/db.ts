/**
 * `kindling manage db …`: `sync` and `version` (the schema's migrations) and `purge <age_in_days>`
 * (hard-delete rows soft-deleted before then: src/db/api/purge.ts).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { newUuid } from '../../common/uuid.js';
import type { Config } from '../../config/index.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { currentVersion, migrateToLatest } from '../../db/migrator.js';
import type { SeedValues } from '../../db/migrations/001-initial.js';
import { purgeDeletedRows } from '../../db/api/purge.js';
import { quotaDefaults } from '../../service/core.js';
import { ManageError, shortTime, type Io, type Select } from './common.js';

function seedValues(config: Config): SeedValues {
  return { defaultVolumeTypeId: newUuid(), quotaClassDefaults: quotaDefaults(config) };
}

async function dbSync(h: DatabaseHandle, io: Io): Promise<number> {
  const res = await migrateToLatest(h, seedValues(io.config));
  for (const r of res.results ?? [])
    io.out(
      `${r.migrationName}: ${r.status === 'Success' ? 'applied' : r.status === 'Error' ? 'FAILED' : 'not run'}`,
    );
  if (res.error) {
    io.err(
      `Database migration failed: ${res.error instanceof Error ? res.error.message : JSON.stringify(res.error)}`,
    );
    return 1;
  }
  const version = await currentVersion(h, seedValues(io.config));
  if (!res.results?.length) io.out(`Database already at the newest version: ${version ?? 'None'}`);
  else io.out(`Database now at version ${version ?? 'None'}`);
  return 0;
}

/** argparse's `type=int`: an integer, else a command line error (exit 2). */
function integer(value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new InvalidArgumentError(`invalid int value: '${value}'`);
  return Number(value);
}

async function dbPurge(h: DatabaseHandle, io: Io, age: number): Promise<number> {
  const { cutoff, tables } = await purgeDeletedRows(h, age);
  io.out(`Purging rows deleted more than ${age} day(s) ago (before ${shortTime(cutoff)} UTC)`);
  let purged = 0;
  for (const t of tables) {
    const kept = t.kept ? `, ${t.kept} kept (still referenced by rows that stay)` : '';
    io.out(`  ${t.table}: ${t.purged} purged${kept}`);
    purged += t.purged;
  }
  io.out(`Purged ${purged} row(s) from ${tables.filter((t) => t.purged).length} table(s).`);
  return 0;
}

/** Adds `db sync|version|purge` under `parent`. */
export function addDbCommands(parent: Command, io: Io, select: Select): void {
  const db = parent.command('db').description('the database: schema migrations, purging deleted rows');
  db.command('sync')
    .description('migrate the schema to the newest version (seeding the default type and quotas)')
    .action(() => select({ database: true, run: (h) => dbSync(h, io) }));
  db.command('version')
    .description('print the newest migration applied (None before the first sync)')
    .action(() =>
      select({
        database: true,
        run: async (h) => {
          io.out((await currentVersion(h, seedValues(io.config))) ?? 'None');
          return 0;
        },
      }),
    );
  db.command('purge')
    .description(
      'hard-delete rows soft-deleted more than <age_in_days> days ago, children first; a deleted row still referenced by a row that stays is kept',
    )
    .argument('<age_in_days>', 'purge deleted rows older than age in days (0: every deleted row)', integer)
    .action((age: number) => {
      // Cinder's checks and messages (cinder/cmd/manage.py DbCommands.purge), exit 1.
      if (age < 0) throw new ManageError('Must supply a positive value for age');
      if (age >= Math.floor(Date.now() / 1000) / 86400)
        throw new ManageError('Maximum age is count of days since epoch.');
      select({ database: true, run: (h) => dbPurge(h, io, age) });
    });
}
