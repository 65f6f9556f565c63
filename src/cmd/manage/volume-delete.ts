/**
 * `kindling manage volume delete <volume_id>` (cinder-manage's): deletes a volume whatever its
 * status — one stuck `creating`, `deleting` or `error_deleting`, or whose volume service is gone —
 * with Cinder's checks, so a volume that is fine is never lost by mistake:
 *
 * - not found (or already deleted): error;
 * - never placed on a host: removed from the database only (Cinder's "Deleting volume from
 *   database and skipping rpc."), its quota given back;
 * - `in-use` (or attached): refused, as Cinder; with snapshots: refused (Kindling's: the volume
 *   service would not delete it from under them);
 * - otherwise the volume goes to `deleting` (a compare-and-swap on what was checked) and its
 *   backend deletes it:
 *   - **distributed** (`transport_url = rabbit://…`): `delete_volume` is cast to the volume's
 *     service (its cluster's queue when clustered), as Cinder; that service removes it when it
 *     takes the message, or after `stuck_operation_timeout` when it comes back;
 *   - **embedded** (`inproc://`: no other process to cast to): this process runs the backend's
 *     volume manager delete itself — the same `VolumeManager.deleteVolume` `kindling serve` runs —
 *     holding the state directory's lock, so it refuses while `kindling serve` runs (delete through
 *     its API then), and only for a backend this configuration serves.
 */
import { pino, type Logger } from 'pino';
import { adminContext } from '../../common/context.js';
import { extractHost } from '../../common/host.js';
import type { CoreDeps } from '../../common/deps.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { snapshotCountForVolume } from '../../db/api/snapshots.js';
import { volumeConditionalUpdate, volumeGet, type VolumeRecord } from '../../db/api/volumes.js';
import { serviceGetAll, serviceIsUp } from '../../db/api/services.js';
import { createCore } from '../../service/core.js';
import { acquireStateLock, type StateLock } from '../../service/state-lock.js';
import { StartupError } from '../../common/startup-error.js';
import { backendSectionOptions } from '../../service/volume-services.js';
import { createDriver } from '../../volume/drivers/index.js';
import { VolumeManager } from '../../volume/manager.js';
import { restoreBackupIntoNewVolume } from '../../backup/restore-new-volume.js';
import { serviceTopicQueue, VolumeRPCAPI } from '../../volume/rpcapi.js';
import { destroyVolumeReleasingQuota } from '../../volume/volume-destroy.js';
import { ManageError, type Io } from './common.js';

/**
 * The log of the services this command builds: warnings and errors only, each as one line on
 * `err` (`error: delete_volume failed: <why>`).
 */
function errorLogger(io: Io): Logger {
  return pino(
    { level: 'warn', base: null, timestamp: false },
    {
      write(line: string) {
        try {
          const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
          const why = entry.err?.message ? `: ${entry.err.message}` : '';
          io.err(`${entry.level >= 50 ? 'error' : 'warning'}: ${entry.msg ?? ''}${why}`);
        } catch {
          io.err(line.trimEnd());
        }
      },
    },
  );
}

/** Runs `fn` with the services' shared base (database, quotas, bus, locks), closed afterwards. */
async function withCore<T>(io: Io, fn: (core: CoreDeps) => Promise<T>): Promise<T> {
  const core = await createCore(io.config, { log: errorLogger(io) });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** The checks Cinder makes before casting (and Kindling's snapshot check): throws when refused. */
async function checkDeletable(h: DatabaseHandle, v: VolumeRecord): Promise<void> {
  if (v.status === 'in-use' || v.attach_status === 'attached')
    throw new ManageError(
      `Volume ${v.id} is in-use (attached): detach it from its instance and then try again.`,
    );
  const snapshots = await snapshotCountForVolume(h.db, v.id);
  if (snapshots > 0)
    throw new ManageError(
      `Volume ${v.id} has ${snapshots} snapshot(s): delete them first (cinder snapshot-delete, or cinder delete --cascade).`,
    );
}

/** Moves the volume to `deleting`, only if nothing checked has changed since. */
async function markDeleting(h: DatabaseHandle, v: VolumeRecord): Promise<void> {
  const ok = await volumeConditionalUpdate(
    h.db,
    v.id,
    { status: 'deleting', previous_status: v.status },
    { status: [v.status], attach_status: [v.attach_status], host: [v.host] },
  );
  if (!ok) throw new ManageError(`Volume ${v.id} changed while it was being checked; try again.`);
}

/** The backend of this configuration the volume belongs to (by host, or by cluster), if any. */
function servedBackend(io: Io, v: VolumeRecord & { host: string }): string | null {
  const { DEFAULT, backends } = io.config;
  const [node, backend = ''] = (extractHost(v.host, 'backend') ?? '').split('@');
  if (!Object.hasOwn(backends, backend)) return null;
  if (node === DEFAULT.host) return backend;
  const cluster = v.cluster_name ? extractHost(v.cluster_name, 'backend') : null;
  return DEFAULT.cluster && cluster === `${DEFAULT.cluster}@${backend}` ? backend : null;
}

/** The state directory's lock, or why it cannot be had (a running `kindling serve`). */
function lockStateDirectory(io: Io, volumeId: string): StateLock {
  try {
    return acquireStateLock(io.config.DEFAULT.state_path, 'kindling manage volume delete');
  } catch (e) {
    if (!(e instanceof StartupError)) throw e;
    const holder = e.message.replace(/: stop it first.*$/, '');
    throw new ManageError(
      `${holder}: its volume service owns volume ${volumeId}; delete it through the API (cinder force-delete ${volumeId}) or stop it first.`,
    );
  }
}

/** Embedded: the backend's own manager deletes the volume in this process. */
async function deleteHere(h: DatabaseHandle, io: Io, v: VolumeRecord & { host: string }): Promise<number> {
  const backend = servedBackend(io, v);
  if (!backend)
    throw new ManageError(
      `Volume ${v.id} is on ${extractHost(v.host, 'backend')}, which this configuration does not serve (host ${io.config.DEFAULT.host}, enabled_backends ${Object.keys(io.config.backends).join(', ')}): run this command with that node's configuration, or move the volume first (kindling manage volume update_host).`,
    );
  const lock = lockStateDirectory(io, v.id);
  try {
    return await withCore(io, async (core) => {
      const section = backendSectionOptions(io.config, backend);
      const manager = new VolumeManager(
        core,
        backend,
        section.volume_backend_name,
        createDriver(section),
        (ctx, backupId, volumeId) => restoreBackupIntoNewVolume(core, ctx, backupId, volumeId),
        io.config.backends[backend]!.backend_availability_zone ?? io.config.DEFAULT.storage_availability_zone,
      );
      try {
        if (!(await manager.initializeDriver()))
          throw new ManageError(
            `The driver of backend ${backend} could not be set up; volume ${v.id} is left ${v.status}.`,
          );
        await markDeleting(h, v);
        await manager.deleteVolume(adminContext(), v.id);
      } finally {
        await manager.stop();
      }
      const after = await volumeGet(h.db, v.id);
      if (after)
        throw new ManageError(`Volume ${v.id} was not deleted: it is now ${after.status} (see above).`);
      io.out(`Volume ${v.id} deleted.`);
      return 0;
    });
  } finally {
    lock.release();
  }
}

/** Distributed: `delete_volume` cast to the volume's service, as Cinder's. */
async function castDelete(h: DatabaseHandle, io: Io, v: VolumeRecord & { host: string }): Promise<number> {
  const queue = serviceTopicQueue(v);
  await markDeleting(h, v);
  await withCore(io, async (core) => {
    try {
      await new VolumeRPCAPI(core.transport).deleteVolume(
        adminContext(),
        { host: v.host, cluster_name: v.cluster_name },
        { volume_id: v.id, cascade: false },
      );
    } catch (e) {
      throw new ManageError(
        `Volume ${v.id} is deleting, but the delete could not be sent to ${queue} (${e instanceof Error ? e.message : String(e)}): its volume service finishes it on its own after stuck_operation_timeout.`,
      );
    }
  });
  const downTime = io.config.DEFAULT.service_down_time;
  const up = (await serviceGetAll(h.db, { binary: 'cinder-volume' })).some(
    (s) =>
      serviceIsUp(s, downTime) &&
      (s.host === extractHost(v.host, 'backend') ||
        (!!v.cluster_name && s.cluster_name === extractHost(v.cluster_name, 'backend'))),
  );
  io.out(`Volume ${v.id} is deleting: delete_volume sent to cinder-volume.${queue}.`);
  if (!up)
    io.out(
      `No volume service of ${queue} is up: the volume stays deleting until one is (or move it first with volume update_host).`,
    );
  return 0;
}

/** `volume delete <volume_id>`. */
export async function volumeDelete(h: DatabaseHandle, io: Io, volumeId: string): Promise<number> {
  const v = await volumeGet(h.db, volumeId);
  if (!v) throw new ManageError(`Volume ${volumeId} could not be found.`);
  if (!v.host) {
    io.out('Volume not yet assigned to host.');
    io.out('Deleting volume from database and skipping rpc.');
    await withCore(io, (core) => destroyVolumeReleasingQuota(core, v));
    return 0;
  }
  await checkDeletable(h, v);
  const placed = { ...v, host: v.host };
  return io.config.DEFAULT.transport_url.startsWith('inproc:')
    ? deleteHere(h, io, placed)
    : castDelete(h, io, placed);
}
