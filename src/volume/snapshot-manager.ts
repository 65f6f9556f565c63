/**
 * The snapshot half of a volume service (Cinder's `volume/manager.py` `create_snapshot` /
 * `delete_snapshot`): has the backend's driver copy or remove the snapshot, moves its status on,
 * gives its quota back when it is gone, emits `snapshot.*` notifications and leaves user messages
 * when the driver fails. The VolumeManager owns one and routes the RPC methods here.
 *
 * Locks (coordinator, shared by every process of a deployment):
 * - `<snapshot_id>-delete_snapshot` (Cinder's name) around a delete, and held by a volume being
 *   created from the snapshot, so a delete waits until that copy is done;
 * - `<snapshot_id>-snapshot_op` around any driver work on the snapshot, so a redelivered message,
 *   a resume at start-up and a force delete never touch one snapshot at once.
 */
import type { RequestContext } from '../common/context.js';
import { adminContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { DriverNotInitialized, SnapshotIsBusy } from '../common/errors.js';
import { operationLockName } from '../coordination/index.js';
import {
  snapshotConditionalUpdate,
  snapshotGet,
  snapshotsForVolume,
  snapshotsInProgressOnHost,
  type SnapshotRecord,
} from '../db/api/snapshots.js';
import { volumeGet, type VolumeRecord } from '../db/api/volumes.js';
import {
  volumeGlanceMetadataCopyToSnapshot,
  volumeGlanceMetadataDeleteBySnapshot,
} from '../db/api/glance-metadata.js';
import { workerFinish, workerStart } from '../db/api/workers.js';
import { formatTimestamp } from '../common/time.js';
import { Action, Detail, Resource } from '../message/message-field.js';
import type { VolumeDriver } from './driver.js';
import { toDriverVolume } from './driver-volume.js';
import { destroySnapshotReleasingQuota } from './snapshot-destroy.js';
import { snapshotDeleteLock, toDriverSnapshot } from './snapshot-driver.js';
import { snapshotUsagePayload } from './snapshot-usage.js';

/** What the snapshot manager borrows from its volume service. */
export interface SnapshotServiceContext {
  readonly deps: CoreDeps;
  /** `host@backend` of the service. */
  readonly host: string;
  readonly driver: VolumeDriver;
  readonly driverInitialized: () => boolean;
  /** The service row's id, for `workers` rows. */
  readonly serviceId: () => number | null;
}

export class SnapshotManager {
  constructor(private readonly c: SnapshotServiceContext) {}

  get #db() {
    return this.c.deps.dbh.db;
  }

  #requireDriver(): void {
    if (!this.c.driverInitialized()) throw new DriverNotInitialized();
  }

  async #notify(s: SnapshotRecord, volume: VolumeRecord | null, event: string): Promise<void> {
    await this.c.deps.notifier.notify(
      `snapshot.${this.c.host}`,
      `snapshot.${event}`,
      snapshotUsagePayload(s, volume),
    );
  }

  async #withWorker(s: SnapshotRecord, status: string, fn: () => Promise<void>): Promise<void> {
    await workerStart(this.#db, {
      resource_type: 'Snapshot',
      resource_id: s.id,
      status,
      service_id: this.c.serviceId(),
    });
    try {
      await fn();
    } finally {
      await workerFinish(this.#db, 'Snapshot', s.id);
    }
  }

  /**
   * `create_snapshot`: the driver copies the volume; the snapshot becomes `available` (progress
   * 100%) or, when the driver fails, `error` with a user message. A snapshot no longer `creating`
   * (a redelivered message, a force delete) is left alone.
   */
  async createSnapshot(ctx: RequestContext, snapshotId: string): Promise<void> {
    await this.c.deps.coordinator.withLock(operationLockName(snapshotId, 'snapshot_op'), async () => {
      const s = await snapshotGet(this.#db, snapshotId);
      if (!s || s.status !== 'creating') return;
      const volume = await volumeGet(this.#db, s.volume_id);
      await this.#withWorker(s, 'creating', async () => {
        await this.#notify(s, volume, 'create.start');
        let update;
        try {
          this.#requireDriver();
          if (!volume) throw new Error(`volume ${s.volume_id} of snapshot ${s.id} is gone`);
          if (!this.c.driver.createSnapshot) throw new Error('the driver cannot create snapshots');
          update = await this.c.driver.createSnapshot(toDriverSnapshot(s, toDriverVolume(volume)));
          // Cinder: a bootable volume's image metadata goes with its snapshot.
          if (volume.bootable) await volumeGlanceMetadataCopyToSnapshot(this.#db, s.id, volume.id);
        } catch (e) {
          this.c.deps.log.error({ snapshot_id: s.id, err: e }, 'create_snapshot failed');
          await snapshotConditionalUpdate(this.#db, s.id, { status: 'error' }, { status: ['creating'] });
          await this.c.deps.messages.create(ctx, Action.SNAPSHOT_CREATE, {
            resourceType: Resource.VOLUME_SNAPSHOT,
            resourceUuid: s.id,
            projectId: s.project_id,
            error: e,
            detail: Detail.SNAPSHOT_CREATE_ERROR,
          });
          return;
        }
        const done = {
          status: 'available',
          progress: '100%',
          ...(update?.provider_location !== undefined ? { provider_location: update.provider_location } : {}),
        };
        if (!(await snapshotConditionalUpdate(this.#db, s.id, done, { status: ['creating'] }))) return;
        const now = (await snapshotGet(this.#db, s.id)) ?? { ...s, ...done };
        await this.#notify(now, volume, 'create.end');
      });
    });
  }

  /**
   * `delete_snapshot`: waits for anything copying from the snapshot (its delete lock), has the
   * driver remove it, then gives its quota back and soft-deletes the row. A driver failure leaves
   * it `error_deleting` (a busy one `available`) with a user message. Returns whether it is gone.
   */
  async deleteSnapshot(ctx: RequestContext, snapshotId: string, unmanageOnly = false): Promise<boolean> {
    // NOTE: unmanage (Cinder's delete_snapshot(unmanage_only=True)): the driver lets go of the
    // snapshot instead of removing it; the rest (quota, row, `delete.*` notifications) is a delete's.
    const expected = unmanageOnly ? 'unmanaging' : 'deleting';
    return this.c.deps.coordinator.withLock(snapshotDeleteLock(snapshotId), () =>
      this.c.deps.coordinator.withLock(operationLockName(snapshotId, 'snapshot_op'), async () => {
        const s = await snapshotGet(this.#db, snapshotId);
        if (!s) return true;
        if (s.status !== expected) return false;
        const volume = await volumeGet(this.#db, s.volume_id);
        let gone = false;
        await this.#withWorker(s, expected, async () => {
          await this.#notify(s, volume, 'delete.start');
          try {
            this.#requireDriver();
            if (unmanageOnly) {
              if (volume && this.c.driver.unmanageSnapshot)
                await this.c.driver.unmanageSnapshot(toDriverSnapshot(s, toDriverVolume(volume)));
            } else if (volume && this.c.driver.deleteSnapshot)
              await this.c.driver.deleteSnapshot(toDriverSnapshot(s, toDriverVolume(volume)));
          } catch (e) {
            const busy = e instanceof SnapshotIsBusy;
            this.c.deps.log.error({ snapshot_id: s.id, err: e }, 'delete_snapshot failed');
            await snapshotConditionalUpdate(
              this.#db,
              s.id,
              { status: busy ? 'available' : 'error_deleting' },
              { status: [expected] },
            );
            await this.c.deps.messages.create(ctx, Action.SNAPSHOT_DELETE, {
              resourceType: Resource.VOLUME_SNAPSHOT,
              resourceUuid: s.id,
              projectId: s.project_id,
              error: e,
              ...(busy ? {} : { detail: Detail.SNAPSHOT_DELETE_ERROR }),
            });
            return;
          }
          await destroySnapshotReleasingQuota(this.c.deps, s);
          await volumeGlanceMetadataDeleteBySnapshot(this.#db, s.id);
          await this.#notify({ ...s, status: 'deleted', deleted: 1 }, volume, 'delete.end');
          gone = true;
        });
        return gone;
      }),
    );
  }

  /**
   * Cascade part of `delete_volume`: every snapshot of the volume must already be `deleting` (the
   * API moved them); each is deleted in turn. Throws when one is in another state or fails, so the
   * volume is not removed from under a snapshot that still exists.
   */
  async deleteSnapshotsOfVolume(ctx: RequestContext, volumeId: string): Promise<void> {
    for (const s of await snapshotsForVolume(this.#db, volumeId)) {
      if (s.status !== 'deleting')
        throw new CascadeError(
          `Snapshot ${s.id} was found in state ${s.status} rather than 'deleting' during cascade delete.`,
        );
      if (!(await this.deleteSnapshot(ctx, s.id)))
        throw new CascadeError(`Snapshot ${s.id} could not be deleted during cascade delete.`);
    }
  }

  /**
   * Start-up (and periodic) cleanup: snapshots of this backend's volumes left `creating` or
   * `deleting` are finished. With `olderThanSeconds`, only those untouched that long.
   */
  async cleanup(olderThanSeconds = 0): Promise<{ snapshotId: string; action: 'create' | 'delete' }[]> {
    const cutoff =
      olderThanSeconds > 0 ? formatTimestamp(new Date(Date.now() - olderThanSeconds * 1000)) : null;
    const rows = await snapshotsInProgressOnHost(this.#db, this.c.host, cutoff);
    const out: { snapshotId: string; action: 'create' | 'delete' }[] = [];
    const ctx = adminContext();
    for (const r of rows) {
      if (r.status === 'creating') await this.createSnapshot(ctx, r.id);
      else await this.deleteSnapshot(ctx, r.id);
      out.push({ snapshotId: r.id, action: r.status === 'creating' ? 'create' : 'delete' });
    }
    if (out.length)
      this.c.deps.log.info({ host: this.c.host, resumed: out }, 'Resumed snapshot work left unfinished');
    return out;
  }
}

/** A cascade delete met a snapshot it could not remove (Cinder raises InvalidSnapshot there). */
export class CascadeError extends Error {
  override readonly name = 'InvalidSnapshot';
}
