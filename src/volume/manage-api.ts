/**
 * The manage half of the volume API (Cinder's `volume/api.py` `manage_existing`,
 * `get_manageable_volumes`, `manage_existing_snapshot`, `get_manageable_snapshots`, and `delete` /
 * `delete_snapshot` with `unmanage_only`): policy, the backend's service (up, enabled), the api
 * flow of a manage, the lists asked of the volume service, and unmanage (a delete whose backend
 * lets go of the object instead of removing it).
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { authorize } from '../auth/policy.js';
import {
  Invalid,
  InvalidSnapshot,
  InvalidVolume,
  InvalidVolumeType,
  NotFound,
  ServiceNotFound,
  ServiceNotFoundOnHost,
  ServiceUnavailable,
} from '../common/errors.js';
import { extractHost } from '../common/host.js';
import { Engine, DynamicLogListener } from '../flow/index.js';
import { hostMatches, serviceGetAll, serviceIsUp, type ServiceRow } from '../db/api/services.js';
import {
  snapshotConditionalUpdate,
  snapshotGet,
  volumeConditionalUpdateGuarded,
  type SnapshotRecord,
} from '../db/api/snapshots.js';
import { volumeTypeEncryptionGet } from '../db/api/volume-type-encryption.js';
import type { VolumeTypeRecord } from '../db/api/volume-types.js';
import { volumeGet, type VolumeRecord } from '../db/api/volumes.js';
import { Action, Detail, Resource } from '../message/message-field.js';
import { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import type { ManageableSnapshot, ManageableVolume } from './driver.js';
import { getFlow, type ManageExistingRequest } from './flows/api/manage-existing.js';
import { ownObjectOf } from './manageable.js';
import { VolumeRPCAPI, type ManageableListArgs } from './rpcapi.js';
import { SnapshotAPI } from './snapshot-api.js';
import { destroySnapshotReleasingQuota } from './snapshot-destroy.js';
import { destroyVolumeReleasingQuota } from './volume-destroy.js';
import { getDefaultVolumeType, getVolumeTypeByNameOrId } from './volume-types.js';

/** What `POST /manageable_volumes` asks for, past the controller's checks. */
export interface ManageVolumeRequest {
  host: string | null;
  cluster: string | null;
  ref: Record<string, unknown>;
  name: string | null;
  description: string | null;
  /** Name or id; null: the default type. */
  volumeType: string | null;
  metadata: Record<string, string> | null;
  availabilityZone: string | null;
  bootable: boolean;
}

/** Statuses a volume may be unmanaged from (those of a delete). */
const UNMANAGEABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'] as const;

export class VolumeManageAPI {
  readonly #scheduler: SchedulerRPCAPI;
  readonly #volumeRpc: VolumeRPCAPI;
  readonly #snapshots: SnapshotAPI;

  constructor(private readonly deps: CoreDeps) {
    this.#scheduler = new SchedulerRPCAPI(deps.transport);
    this.#volumeRpc = new VolumeRPCAPI(deps.transport);
    this.#snapshots = new SnapshotAPI(deps);
  }

  get #db() {
    return this.deps.dbh.db;
  }

  /**
   * Cinder's `_get_service_by_host_cluster`: the volume service of `host` (at backend level) or any
   * of `cluster`'s; a disabled one (every member, for a cluster) or one that is down is
   * `ServiceUnavailable`; none is `ServiceNotFound`.
   */
  async serviceByHostCluster(host: string | null, cluster: string | null): Promise<ServiceRow> {
    const svcCluster = cluster ? (extractHost(cluster, 'backend') ?? cluster) : null;
    const svcHost = host ? (extractHost(host, 'backend') ?? host) : null;
    const rows = (await serviceGetAll(this.#db, { binary: 'cinder-volume' })).filter((s) =>
      svcCluster
        ? s.cluster_name !== null && hostMatches(svcCluster, s.cluster_name)
        : hostMatches(svcHost!, s.host),
    );
    if (!rows.length) {
      if (svcHost) throw new ServiceNotFoundOnHost('cinder-volume', svcHost);
      throw new ServiceNotFound('cinder-volume');
    }
    const downTime = this.deps.config.DEFAULT.service_down_time;
    // NOTE: of a cluster, any member that is up and enabled will do (Cinder takes the cluster's).
    const service = rows.find((s) => serviceIsUp(s, downTime) && !s.disabled) ?? rows[0]!;
    if (service.disabled && (!service.cluster_name || rows.every((s) => s.disabled))) {
      this.deps.log.error({ host: service.host }, 'Unable to manage existing volume on a disabled service.');
      throw new ServiceUnavailable();
    }
    if (!serviceIsUp(service, downTime)) {
      this.deps.log.error(
        { host: service.host },
        'Unable to manage existing volume on a service that is down.',
      );
      throw new ServiceUnavailable();
    }
    return service;
  }

  /**
   * `manage_existing`: the reference must not name one of Kindling's own objects; the type (the
   * default when none) must not be encrypted; the service must be up; then the api flow writes the
   * row `managing` and casts to the scheduler. Returns the new volume.
   */
  async manageExisting(ctx: RequestContext, req: ManageVolumeRequest): Promise<VolumeRecord> {
    authorize(ctx, 'volume_extension:volume_manage');
    await this.#assertNotManaged(req.ref, 'volume');
    let type: VolumeTypeRecord;
    if (req.volumeType) {
      try {
        type = await getVolumeTypeByNameOrId(this.#db, ctx, req.volumeType);
      } catch (e) {
        if (e instanceof NotFound)
          throw new InvalidVolumeType(`Cannot find requested '${req.volumeType}' volume type`);
        throw e;
      }
    } else type = await getDefaultVolumeType(this.#db, ctx, this.deps.config.DEFAULT.default_volume_type);
    if (await volumeTypeEncryptionGet(this.#db, type.id))
      throw new InvalidVolumeType('Managing to an encrypted volume type is not supported.');

    let service: ServiceRow;
    try {
      service = await this.serviceByHostCluster(req.host, req.cluster);
    } catch (e) {
      if (e instanceof ServiceNotFound || e instanceof ServiceNotFoundOnHost) {
        throw new ServiceUnavailable(
          `${req.host ? 'Host' : 'Cluster'} '${req.host ?? req.cluster}' not found`,
        );
      }
      throw e;
    }
    const manageHost = !req.cluster && req.host && extractHost(req.host, 'pool') ? req.host : service.host;
    const store: ManageExistingRequest = {
      context: ctx,
      name: req.name,
      description: req.description,
      host: manageHost,
      cluster_name: service.cluster_name,
      ref: req.ref,
      volume_type: type,
      metadata: req.metadata ?? {},
      availability_zone: req.availabilityZone ?? service.availability_zone,
      bootable: req.bootable,
      size: 0,
    };
    const flow = getFlow(this.deps, this.#scheduler);
    const engine = new Engine(flow, store, [
      new DynamicLogListener(this.deps.log.child({ request_id: ctx.requestId })),
    ]);
    await engine.run();
    const volume = engine.fetch<VolumeRecord>('volume');
    this.deps.log.info({ volume_id: volume.id, ref: req.ref }, 'Manage volume request issued successfully.');
    return (await volumeGet(this.#db, volume.id)) ?? volume;
  }

  /**
   * A reference that names one of Kindling's live volumes or snapshots by its backing name is
   * refused: adopting it would take the object from under it. Cinder checks volumes only.
   */
  async #assertNotManaged(ref: unknown, kind: 'volume' | 'snapshot'): Promise<void> {
    const own = ownObjectOf(ref);
    if (!own) return;
    const live =
      own.kind === 'volume' ? await volumeGet(this.#db, own.id) : await snapshotGet(this.#db, own.id);
    if (!live) return;
    if (kind === 'volume')
      throw new InvalidVolume(
        own.kind === 'volume'
          ? 'Unable to manage existing volume. The volume is already managed'
          : `Unable to manage existing volume. It is the snapshot ${own.id}, already managed`,
      );
    throw new InvalidSnapshot(
      own.kind === 'snapshot'
        ? 'Unable to manage existing snapshot. The snapshot is already managed'
        : `Unable to manage existing snapshot. It is the volume ${own.id}, already managed`,
    );
  }

  /** `get_manageable_volumes`: asked of the backend's volume service (admin). */
  async getManageableVolumes(
    ctx: RequestContext,
    host: string | null,
    cluster: string | null,
    args: ManageableListArgs,
  ): Promise<ManageableVolume[]> {
    authorize(ctx, 'volume_extension:list_manageable');
    const svc = await this.serviceByHostCluster(host, cluster);
    return this.#volumeRpc.getManageableVolumes(ctx, this.#server(svc), args);
  }

  /** `get_manageable_snapshots` (admin). */
  async getManageableSnapshots(
    ctx: RequestContext,
    host: string | null,
    cluster: string | null,
    args: ManageableListArgs,
  ): Promise<ManageableSnapshot[]> {
    authorize(ctx, 'snapshot_extension:list_manageable');
    const svc = await this.serviceByHostCluster(host, cluster);
    return this.#volumeRpc.getManageableSnapshots(ctx, this.#server(svc), args);
  }

  /** The queue a service answers on: its cluster's when clustered (any member), else its own. */
  #server(svc: ServiceRow): string {
    return svc.cluster_name ? (extractHost(svc.cluster_name, 'backend') ?? svc.cluster_name) : svc.host;
  }

  /**
   * `manage_existing_snapshot`: the volume's service must be up; the snapshot row is written as a
   * snapshot create writes it (the volume's size counted), then the scheduler checks the backend
   * and hands it to the volume service.
   */
  async manageExistingSnapshot(
    ctx: RequestContext,
    ref: unknown,
    volume: VolumeRecord,
    req: { name: string | null; description: string | null; metadata: Record<string, string> | null },
  ): Promise<SnapshotRecord> {
    authorize(ctx, 'snapshot_extension:snapshot_manage', volume.project_id);
    if (!volume.host)
      throw new InvalidVolume(
        'The snapshot cannot be created because volume has not been scheduled to any host.',
      );
    await this.serviceByHostCluster(volume.cluster_name ? null : volume.host, volume.cluster_name);
    await this.#assertNotManaged(ref, 'snapshot');
    const snapshot = await this.#snapshots.createInDb(ctx, volume, { ...req, force: true, allowInUse: true });
    await this.#scheduler.manageExistingSnapshot(ctx, {
      snapshot_id: snapshot.id,
      volume_id: volume.id,
      request_spec: { volume_id: '', snapshot_id: snapshot.id, volume_properties: { size: volume.size } },
      ref,
    });
    return snapshot;
  }

  /**
   * `os-unmanage` (Cinder's `delete(unmanage_only=True)`): the delete's preconditions (status,
   * detached, not migrating, no snapshots, not in a group), `unmanaging`, then the backend lets go
   * of the object and the row goes with its quota. An encrypted volume is refused, with a user
   * message, as in Cinder.
   */
  async unmanage(ctx: RequestContext, v: VolumeRecord): Promise<void> {
    authorize(ctx, 'volume_extension:volume_unmanage', v.project_id);
    if (!v.host) {
      // Never reached a backend: nothing there to let go of.
      await destroyVolumeReleasingQuota(this.deps, v);
      await this.deps.notifier.notify(`volume.${this.deps.config.DEFAULT.host}`, 'volume.delete.end', {
        volume_id: v.id,
        tenant_id: v.project_id,
        request_id: ctx.requestId,
      });
      return;
    }
    if (v.encryption_key_id !== null) {
      const e = new Invalid('Unacceptable parameters.');
      await this.deps.messages.create(ctx, Action.UNMANAGE_VOLUME, {
        resourceType: Resource.VOLUME,
        resourceUuid: v.id,
        projectId: v.project_id,
        detail: Detail.UNMANAGE_ENC_NOT_SUPPORTED,
        error: e,
      });
      throw e;
    }
    const ok = await volumeConditionalUpdateGuarded(
      this.#db,
      v.id,
      { status: 'unmanaging', previous_status: v.status, terminated_at: null },
      {
        status: [...UNMANAGEABLE],
        attach_status: ['detached'],
        migration_status: [null, 'deleting', 'error', 'success'],
        group_id: [null],
      },
      'any',
    );
    if (!ok)
      throw new InvalidVolume(
        `Volume status must be ${UNMANAGEABLE.join(' or ')} and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.`,
      );
    await this.#volumeRpc.deleteVolume(
      ctx,
      { host: v.host, cluster_name: v.cluster_name },
      { volume_id: v.id, cascade: false, unmanage_only: true },
    );
  }

  /**
   * Snapshot `os-unmanage` (Cinder's `delete_snapshot(unmanage_only=True)`): `available` or `error`
   * and not in a group snapshot, `unmanaging`, then the backend lets go of it.
   */
  async unmanageSnapshot(ctx: RequestContext, s: SnapshotRecord): Promise<void> {
    authorize(ctx, 'snapshot_extension:snapshot_unmanage', s.project_id);
    const volume = await volumeGet(this.#db, s.volume_id);
    const ok = await snapshotConditionalUpdate(
      this.#db,
      s.id,
      { status: 'unmanaging' },
      { status: ['available', 'error'], group_snapshot_id: [null] },
    );
    if (!ok)
      throw new InvalidSnapshot(
        'Snapshot status must be available or error and must not be part of a group.',
      );
    if (!volume?.host) {
      await destroySnapshotReleasingQuota(this.deps, s);
      return;
    }
    await this.#volumeRpc.deleteSnapshot(
      ctx,
      { host: volume.host, cluster_name: volume.cluster_name },
      { snapshot_id: s.id, volume_id: s.volume_id, unmanage_only: true },
    );
  }
}
