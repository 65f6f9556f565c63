import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { DatabaseHandle } from './connection.js';
import { initialMigration, type SeedValues } from './migrations/001-initial.js';
import { quotaUsagesUniqueMigration } from './migrations/002-quota-usages-unique.js';
import { snapshotMetadataMigration } from './migrations/003-snapshot-metadata.js';
import { typesQosEncryptionMigration } from './migrations/004-types-qos-encryption.js';
import { transfersMigration } from './migrations/005-transfers.js';
import { backupsMigration } from './migrations/006-backups.js';
import { groupsMigration } from './migrations/007-groups.js';
import { volumeAttachmentMigration } from './migrations/008-volume-attachment.js';
import { volumeGlanceMetadataMigration } from './migrations/009-volume-glance-metadata.js';
import { imageVolumeCacheMigration } from './migrations/010-image-volume-cache.js';
import { flowTracesMigration } from './migrations/011-flow-traces.js';
import { clustersMigration } from './migrations/012-clusters.js';
import { defaultCgsnapshotTypeMigration } from './migrations/013-default-cgsnapshot-type.js';
import { capacityAllocationsMigration } from './migrations/014-capacity-allocations.js';
import { lookupIndexesMigration } from './migrations/015-lookup-indexes.js';

/** Every migration, in order. Statically imported so `dist/` needs no file globbing. */
function allMigrations(handle: DatabaseHandle, seed: SeedValues): Record<string, Migration> {
  return {
    '001-initial': initialMigration(handle.dialect, seed),
    '002-quota-usages-unique': quotaUsagesUniqueMigration(handle.dialect),
    '003-snapshot-metadata': snapshotMetadataMigration(handle.dialect),
    '004-types-qos-encryption': typesQosEncryptionMigration(handle.dialect),
    '005-transfers': transfersMigration(handle.dialect),
    '006-backups': backupsMigration(handle.dialect),
    '007-groups': groupsMigration(handle.dialect),
    '008-volume-attachment': volumeAttachmentMigration(handle.dialect),
    '009-volume-glance-metadata': volumeGlanceMetadataMigration(handle.dialect),
    '010-image-volume-cache': imageVolumeCacheMigration(handle.dialect),
    '011-flow-traces': flowTracesMigration(handle.dialect),
    '012-clusters': clustersMigration(handle.dialect),
    '013-default-cgsnapshot-type': defaultCgsnapshotTypeMigration(),
    '014-capacity-allocations': capacityAllocationsMigration(handle.dialect),
    '015-lookup-indexes': lookupIndexesMigration(handle.dialect),
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

/** Every migration's name, in order (what `db sync` applies to an empty database). */
export function migrationNames(dialect: DatabaseHandle['dialect']): string[] {
  return Object.keys(allMigrations({ dialect } as DatabaseHandle, {} as SeedValues));
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
