import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { DatabaseHandle } from './connection.js';
import { initialMigration, type SeedValues } from './migrations/001-initial.js';
import { quotaUsagesUniqueMigration } from './migrations/002-quota-usages-unique.js';

/** Every migration, in order. Statically imported so `dist/` needs no file globbing. */
function allMigrations(handle: DatabaseHandle, seed: SeedValues): Record<string, Migration> {
  return {
    '001-initial': initialMigration(handle.dialect, seed),
    '002-quota-usages-unique': quotaUsagesUniqueMigration(handle.dialect),
  };
}

/** `kindling manage db sync`: brings the schema to the newest version. Results as values. */
export async function migrateToLatest(handle: DatabaseHandle, seed: SeedValues): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => allMigrations(handle, seed) },
  });
  return migrator.migrateToLatest();
}

/** Name of the newest applied migration (`kindling manage db version`). */
export async function currentVersion(handle: DatabaseHandle, seed: SeedValues): Promise<string | null> {
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => allMigrations(handle, seed) },
  });
  const all = await migrator.getMigrations();
  const applied = all.filter((m) => m.executedAt !== undefined);
  return applied.at(-1)?.name ?? null;
}
