/**
 * `create_migration_target`, on the backend a volume migrates to: the checks Cinder's scheduler
 * makes of a migration target (its pool, zone, capabilities and room), then the volume is made
 * here by the driver and the source's data copied into it. The source's file is read by path
 * (its `provider_location`), so source and target must see the same filesystem tree (backends of
 * one machine). The copy is written beside the new volume and renamed over it, so a reader never
 * sees half of it; copy-on-write (reflink) where both sit on one filesystem that supports it.
 *
 * NOTE: runs without the volume's lock: the source's service holds it for the whole migration.
 */
import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { RequestContext } from '../../../common/context.js';
import { DriverNotInitialized, NoValidBackend, VolumeBackendAPIException } from '../../../common/errors.js';
import { volumeName } from '../../driver.js';
import { copyVolumeFile } from '../../drivers/file-copy.js';
import { whileLogging, type ProgressLog } from '../../../common/progress-log.js';
import type { MigrationTargetArgs, MigrationTargetResult } from '../../rpcapi.js';
import { actionLog, ownPool, poolHasRoom, poolSatisfies, type ActionBackend } from './backend.js';

/** Whether two paths name one file (same device and inode). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a), stat(b)]);
  return x.dev === y.dev && x.ino === y.ino;
}

/**
 * Copies `src` over `dst` through a hidden part file in `dst`'s directory; keeps `dst`'s mode.
 * A copy that takes a while logs its progress (the part file's size against the source's).
 */
async function copyOver(
  src: string,
  dst: string,
  progress?: ProgressLog,
  fields: object = {},
): Promise<string> {
  const part = join(dirname(dst), `.${basename(dst)}.migrating`);
  await rm(part, { force: true });
  try {
    const total = (await stat(src)).size;
    const method = await whileLogging(
      progress,
      `migration: copying volume file to ${dst}`,
      copyVolumeFile(src, part),
      {
        fields,
        total,
        sample: async () => (await stat(part)).size,
      },
    );
    await chmod(part, (await stat(dst)).mode & 0o7777);
    const fh = await open(part, 'r+');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(part, dst);
    return method;
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  }
}

export async function createMigrationTarget(
  b: ActionBackend,
  ctx: RequestContext,
  a: MigrationTargetArgs,
): Promise<MigrationTargetResult> {
  const log = actionLog(b, ctx, a.volume_id);
  if (!b.initialized()) throw new DriverNotInitialized();
  const where = a.pool ? `${b.cluster ?? b.host}#${a.pool}` : (b.cluster ?? b.host);
  const pool = await ownPool(b, a.pool);
  const fits =
    pool !== null &&
    (!a.availability_zone || a.availability_zone === b.availabilityZone) &&
    poolSatisfies(pool, a.extra_specs) &&
    poolHasRoom(pool, a.extra_specs, a.size);
  if (!fits) throw new NoValidBackend(`Cannot place volume ${a.volume_id} on ${where}.`);
  if (!isAbsolute(a.source_path))
    throw new VolumeBackendAPIException(`volume ${a.volume_id} has no file this backend can read`);
  await stat(a.source_path);

  const dv = {
    id: a.volume_id,
    name: volumeName(a.volume_id),
    size: a.size,
    host: `${b.host}#${pool.pool_name}`,
    provider_location: null,
  };
  const made = await b.driver.createVolume(dv);
  const target = made?.provider_location ?? null;
  if (!target || !isAbsolute(target))
    throw new VolumeBackendAPIException(`backend ${b.host} gave no file for volume ${a.volume_id}`);
  // NOTE: two backends sharing one directory would make the target the source itself: never
  // copy (or later delete) a file onto itself.
  if (await sameFile(a.source_path, target))
    throw new VolumeBackendAPIException(`source and destination of volume ${a.volume_id} are the same file`);
  try {
    const method = await copyOver(
      a.source_path,
      target,
      { log, intervalSeconds: b.deps.config.DEFAULT.progress_log_interval },
      { from: a.source_path },
    );
    log.info({ from: a.source_path, to: target, method }, 'migration: volume copied to this backend');
  } catch (e) {
    await b.driver.deleteVolume({ ...dv, provider_location: target });
    throw e;
  }
  return {
    host: `${b.host}#${pool.pool_name}`,
    cluster_name: b.cluster ? `${b.cluster}#${pool.pool_name}` : null,
    availability_zone: b.availabilityZone,
    provider_location: target,
  };
}
