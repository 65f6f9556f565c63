/**
 * Which backup service gets a backup's work (Cinder's `_get_available_backup_service_host`): any
 * up, enabled `cinder-backup` service of the zone, picked at random, unless `backup_use_same_host`
 * keeps it on the backup's own host. Kindling has no backup capabilities in the scheduler, so the
 * services table (heartbeats) is the source.
 */
import type { Db } from '../db/api/common.js';
import { serviceGetAll, serviceIsUp } from '../db/api/services.js';
import { BackupServiceNotFound } from '../common/errors.js';

export const BACKUP_BINARY = 'cinder-backup';

/** Hosts of the backup services that are up and enabled, in `az` when given, in random order. */
export async function upBackupHosts(db: Db, downTime: number, az: string | null = null): Promise<string[]> {
  const rows = await serviceGetAll(db, { binary: BACKUP_BINARY });
  const hosts = rows
    .filter((s) => !s.disabled && serviceIsUp(s, downTime) && (!az || s.availability_zone === az))
    .map((s) => s.host);
  for (let i = hosts.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [hosts[i], hosts[j]] = [hosts[j]!, hosts[i]!];
  }
  return hosts;
}

/**
 * The backup service for a backup on `host` (null: none yet) in zone `az`; throws Cinder's
 * `ServiceNotFound` (`Service cinder-backup could not be found.`) when none is up.
 */
export async function availableBackupHost(
  db: Db,
  opts: { host: string | null; az: string | null; sameHost: boolean; downTime: number },
): Promise<string> {
  const hosts = await upBackupHosts(db, opts.downTime, opts.az);
  const host = !opts.host || !opts.sameHost ? hosts[0] : hosts.includes(opts.host) ? opts.host : undefined;
  if (!host) throw new BackupServiceNotFound(BACKUP_BINARY);
  return host;
}
