/**
 * `migrate_volume` on the volume's (source) backend (Cinder's manager `migrate_volume`): migration
 * status `starting` → `migrating`; the target backend makes the volume and copies the data
 * (`create_migration_target`); the row then points at the target (host, cluster, zone, location,
 * and the new type when a retype asked for the move), migration status `success`, and the source's
 * copy is deleted. Any failure leaves the volume where it was with migration status `error`.
 * A volume `retyping` or `maintenance` gets its previous status back either way (unless the caller,
 * a retype, keeps that for itself).
 */
import type { RequestContext } from '../../../common/context.js';
import { NoValidBackend, VolumeBackendAPIException } from '../../../common/errors.js';
import { extractHost } from '../../../common/host.js';
import { volumeConditionalUpdate, volumeGet, type VolumeRecord } from '../../../db/api/volumes.js';
import { volumeTypeGet } from '../../../db/api/volume-types.js';
import type { VolumesTable } from '../../../db/schema.js';
import { toDriverVolume } from '../../driver-volume.js';
import { VolumeRPCAPI } from '../../rpcapi.js';
import { volumeDeleteLock } from '../../snapshot-driver.js';
import { actionLog, type ActionBackend } from './backend.js';

/** A migration to run: where to, and the type the volume gets there (a retype's). */
export interface MigrationRequest {
  volumeId: string;
  /** Target backend, `host@backend[#pool]` or `cluster@backend[#pool]`. */
  target: string;
  newTypeId?: string | null;
  /** Leave the status alone (a retype gives it back once its quota is settled). */
  keepStatus?: boolean;
}

/**
 * Moves the volume (its migration status already `starting`); the caller holds its lock.
 * Returns whether it moved.
 */
export async function migrateOnBackend(
  b: ActionBackend,
  ctx: RequestContext,
  m: MigrationRequest,
): Promise<boolean> {
  const db = b.deps.dbh.db;
  const log = actionLog(b, ctx, m.volumeId);
  const v = await volumeGet(db, m.volumeId);
  if (!v || v.migration_status !== 'starting' || !(await b.takeIfOurs(v))) {
    log.info({ migration_status: v?.migration_status }, 'migrate_volume: nothing to do');
    return false;
  }
  const statusBack: Partial<VolumesTable> =
    !m.keepStatus && ['retyping', 'maintenance'].includes(v.status)
      ? { status: v.previous_status ?? 'available' }
      : {};
  const failed = async (e: unknown): Promise<false> => {
    log.error({ err: e, target: m.target }, 'Volume migration failed.');
    await volumeConditionalUpdate(
      db,
      v.id,
      { migration_status: 'error', ...statusBack },
      {
        migration_status: ['starting', 'migrating'],
      },
    );
    if (e instanceof NoValidBackend)
      await b.deps.notifier.notify(
        `scheduler.${b.host}`,
        'scheduler.migrate_volume_to_host',
        {
          volume_id: v.id,
          state: { migration_status: 'error' },
          method: 'migrate_volume_to_host',
          reason: e.message,
        },
        'ERROR',
      );
    return false;
  };
  if (!b.initialized()) return failed(new VolumeBackendAPIException('driver not initialized'));
  // NOTE: Cinder moves an attached volume by asking Nova to swap it under the server; without a
  // compute service that fails (migration `error`), and so it does here, before any copy.
  if (v.volume_attachment.length > 0)
    return failed(
      new VolumeBackendAPIException(
        'an attached volume can only be moved by the compute service (swap volume), and there is none',
      ),
    );
  await volumeConditionalUpdate(
    db,
    v.id,
    { migration_status: 'migrating' },
    { migration_status: ['starting'] },
  );

  const server = extractHost(m.target, 'backend')!;
  if (server === b.host || server === b.cluster)
    return failed(new VolumeBackendAPIException(`volume ${v.id} is already on ${server}`));
  const typeId = m.newTypeId ?? v.volume_type_id;
  let moved;
  try {
    // NOTE: the volume's file, as its driver knows it: provider_location is the iSCSI export's
    // location once the volume has been attached.
    const device = await b.driver.openVolumeForBackup?.(toDriverVolume(v));
    if (device?.type !== 'path') throw new VolumeBackendAPIException(`volume ${v.id} has no file to copy`);
    moved = await new VolumeRPCAPI(b.deps.transport).createMigrationTarget(ctx, server, {
      volume_id: v.id,
      size: v.size,
      source_path: device.path,
      pool: extractHost(m.target, 'pool'),
      extra_specs: (await volumeTypeGet(db, typeId, true))?.extra_specs ?? {},
      availability_zone: v.availability_zone,
    });
  } catch (e) {
    return failed(e);
  }

  const updates: Partial<VolumesTable> = {
    host: moved.host,
    cluster_name: moved.cluster_name,
    availability_zone: moved.availability_zone,
    provider_location: moved.provider_location,
    migration_status: 'success',
    previous_status: v.status,
    ...statusBack,
    ...(m.newTypeId ? { volume_type_id: m.newTypeId } : {}),
  };
  await volumeConditionalUpdate(db, v.id, updates, { migration_status: ['migrating'] });
  await deleteSource(b, ctx, v);
  await b.publishCapabilities();
  log.info({ to: moved.host }, 'Migrate volume completed successfully.');
  return true;
}

/** Removes the source's copy; a clone being made from it is waited for. A failure only leaves a file. */
async function deleteSource(b: ActionBackend, ctx: RequestContext, v: VolumeRecord): Promise<void> {
  try {
    await b.deps.coordinator.withLock(volumeDeleteLock(v.id), () => b.driver.deleteVolume(toDriverVolume(v)));
  } catch (e) {
    actionLog(b, ctx, v.id).warn({ err: e }, 'migration: the source copy could not be removed');
  }
}
