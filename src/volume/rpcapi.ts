import type { RequestContext } from '../common/context.js';
import { VOLUME_TOPIC, volumeTarget, type Transport } from '../rpc/transport.js';
import { rpcClient, type RpcArgs, type RpcClient, type RpcMethod, type RpcReply } from '../rpc/methods.js';
import { extractHost } from '../common/host.js';
import type { AttachmentRecord } from '../db/api/attachments.js';
import type { FilterProperties, RequestSpec } from '../scheduler/types.js';
import type {
  BackupDevice,
  ConnectionInfo,
  Connector,
  ExistingRef,
  ManageableSnapshot,
  ManageableVolume,
  VolumeStats,
} from './driver.js';

/**
 * Cinder's `CleanupRequest` object, as it travels over RPC (JSON): what `do_cleanup` and the
 * scheduler's `work_cleanup` take.
 */
export interface CleanupRequest {
  service_id?: number | null;
  cluster_name?: string | null;
  host?: string | null;
  binary?: string | null;
  is_up?: boolean | null;
  disabled?: boolean | null;
  resource_id?: string | null;
  resource_type?: string | null;
  /** Only rows not touched after this time (stored timestamp form); default now. */
  until?: string | null;
}

/** Where a volume lives, as far as routing is concerned. */
export interface VolumePlacement {
  readonly host: string;
  readonly cluster_name?: string | null;
}

/**
 * Cinder's `service_topic_queue`: the server a volume's requests go to — its cluster
 * (`cluster@backend`, shared by every member) when clustered, else its `host@backend`.
 */
export function serviceTopicQueue(v: VolumePlacement): string {
  const where = v.cluster_name || v.host;
  return extractHost(where, 'backend') ?? where;
}

/** `extend_volume` arguments. */
export interface ExtendVolumeArgs {
  volume_id: string;
  new_size: number;
  reservations: string[];
}

/** `retype` arguments (Cinder's, with the new type's id). */
export interface RetypeArgs {
  volume_id: string;
  new_type_id: string;
  migration_policy: 'never' | 'on-demand';
  reservations: string[];
  old_reservations: string[];
}

/** `migrate_volume` arguments: `host` names the target backend (pool optional) or cluster. */
export interface MigrateVolumeArgs {
  volume_id: string;
  host: string;
  force_host_copy: boolean;
}

/** What the target backend of a migration needs to make the volume there. */
export interface MigrationTargetArgs {
  volume_id: string;
  size: number;
  /** The source volume's file (its `provider_location`), read by the target. */
  source_path: string;
  /** The pool asked for, or null for the backend's own. */
  pool: string | null;
  /** Extra specs of the type the volume will have there. */
  extra_specs: Record<string, string>;
  availability_zone: string | null;
}

/** Where the migrated volume lives now. */
export interface MigrationTargetResult {
  host: string;
  cluster_name: string | null;
  availability_zone: string;
  provider_location: string | null;
}

/** `copy_volume_to_image` arguments: the volume (`uploading`) and the queued image Glance made. */
export interface CopyVolumeToImageArgs {
  volume_id: string;
  /** The image as Glance answered its create (Cinder's metadata dict: id, formats, name, …). */
  image_meta: { id: string; disk_format: string | null; container_format: string | null } & Record<
    string,
    unknown
  >;
}

/** `reimage` arguments: the volume (`downloading`) and the image checked at the API. */
export interface ReimageArgs {
  volume_id: string;
  image_meta: { id: string } & Record<string, unknown>;
}

/** Paging of `get_manageable_volumes` / `get_manageable_snapshots` (done by the volume service). */
export interface ManageableListArgs {
  marker: string | null;
  limit: number;
  offset: number | null;
  sort_keys: string[];
  sort_dirs: string[];
}

/** `get_backup_device` arguments: the volume (or its snapshot) and what the device is for. */
export interface BackupDeviceArgs {
  volume_id: string;
  snapshot_id?: string | null;
  /** `read`: a backup reads it; `write`: a restore writes it. */
  mode: 'read' | 'write';
}

/** `attach_volume` arguments (`os-attach`). */
export interface AttachVolumeArgs {
  volume_id: string;
  instance_uuid: string | null;
  host_name: string | null;
  mountpoint: string;
  mode: string;
}

/** A property a volume type may set: title, description, JSON type (Cinder's `_set_property`). */
export interface CapabilityProperty {
  title: string;
  description: string;
  type: string;
}

/** What a backend reports to `get_capabilities`: its stats and `properties`. */
export type BackendCapabilities = VolumeStats & { properties: Record<string, CapabilityProperty> };

/**
 * A volume service's RPC methods (queue `cinder-volume.<host|cluster>@<backend>`): each one's
 * arguments and reply, shared by {@link VolumeRPCAPI} (and the group casts, src/group/rpcapi.ts)
 * and the endpoint the VolumeManager listens with (src/volume/manager.ts).
 */
export interface VolumeRpcMethods {
  create_volume: RpcMethod<{
    volume_id: string;
    request_spec: RequestSpec | null;
    filter_properties: FilterProperties;
    allow_reschedule: boolean;
  }>;
  delete_volume: RpcMethod<{ volume_id: string; cascade: boolean; unmanage_only?: boolean }>;
  create_snapshot: RpcMethod<{ snapshot_id: string; volume_id: string }>;
  delete_snapshot: RpcMethod<{ snapshot_id: string; volume_id: string; unmanage_only?: boolean }>;
  publish_service_capabilities: RpcMethod<Record<string, never>>;
  do_cleanup: RpcMethod<{ cleanup_request: CleanupRequest }>;
  freeze_host: RpcMethod<Record<string, never>, boolean>;
  thaw_host: RpcMethod<Record<string, never>, boolean>;
  set_log_levels: RpcMethod<{ prefix: string | null; level: unknown }>;
  get_log_levels: RpcMethod<{ prefix: string | null }, Record<string, string>>;
  get_capabilities: RpcMethod<{ discover: boolean }, BackendCapabilities>;
  extend_volume: RpcMethod<ExtendVolumeArgs>;
  revert_to_snapshot: RpcMethod<{ volume_id: string; snapshot_id: string }>;
  retype: RpcMethod<RetypeArgs>;
  migrate_volume: RpcMethod<MigrateVolumeArgs>;
  copy_volume_to_image: RpcMethod<CopyVolumeToImageArgs>;
  reimage: RpcMethod<ReimageArgs>;
  create_migration_target: RpcMethod<MigrationTargetArgs, MigrationTargetResult>;
  attachment_update: RpcMethod<
    { volume_id: string; connector: Connector; attachment_id: string },
    Record<string, unknown>
  >;
  attachment_delete: RpcMethod<{ attachment_id: string; volume_id: string }>;
  initialize_connection: RpcMethod<{ volume_id: string; connector: Connector }, ConnectionInfo>;
  /** `connector`: the caller's, unchecked (the API passes on the request body's). */
  terminate_connection: RpcMethod<{ volume_id: string; connector: unknown; force: boolean }>;
  attach_volume: RpcMethod<AttachVolumeArgs, AttachmentRecord>;
  detach_volume: RpcMethod<{ volume_id: string; attachment_id: string | null }>;
  remove_export: RpcMethod<{ volume_id: string }>;
  create_group: RpcMethod<{ group_id: string }>;
  delete_group: RpcMethod<{ group_id: string }>;
  /** `add_volumes` / `remove_volumes`: comma-separated volume ids, as Cinder sends them. */
  update_group: RpcMethod<{ group_id: string; add_volumes: string; remove_volumes: string }>;
  create_group_from_src: RpcMethod<{ group_id: string }>;
  create_group_snapshot: RpcMethod<{ group_snapshot_id: string }>;
  delete_group_snapshot: RpcMethod<{ group_snapshot_id: string }>;
  manage_existing: RpcMethod<{ volume_id: string; ref: ExistingRef }>;
  /** `ref`: a dict, or (as Cinder's RBD driver takes it) the snapshot's name. */
  manage_existing_snapshot: RpcMethod<{ snapshot_id: string; ref: unknown }>;
  get_manageable_volumes: RpcMethod<ManageableListArgs, ManageableVolume[]>;
  get_manageable_snapshots: RpcMethod<ManageableListArgs, ManageableSnapshot[]>;
  get_backup_device: RpcMethod<BackupDeviceArgs, BackupDevice>;
  close_backup_device: RpcMethod<{ volume_id: string; device: BackupDevice }>;
}

/** The arguments of the volume service's method `K`. */
export type VolumeRpcArgs<K extends keyof VolumeRpcMethods> = RpcArgs<VolumeRpcMethods, K>;

/** How long a migration's data copy may take (a call's reply timeout), in seconds. */
export const MIGRATION_COPY_TIMEOUT_S = 6 * 3600;

/** Client side of a volume service's RPC API (queue `cinder-volume.<host|cluster>@<backend>`). */
export class VolumeRPCAPI {
  readonly #rpc: RpcClient<VolumeRpcMethods>;

  constructor(transport: Transport) {
    this.#rpc = rpcClient(transport);
  }

  /** Cast `create_volume` to the backend chosen by the scheduler. */
  async createVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'create_volume'>,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'create_volume', args, ctx);
  }

  /** Cast `delete_volume` to the volume's backend. */
  async deleteVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'delete_volume'>,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'delete_volume', args, ctx);
  }

  /** Cast `create_snapshot` to the backend of the snapshot's volume. */
  async createSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'create_snapshot'>,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'create_snapshot', args, ctx);
  }

  /** Cast `delete_snapshot` to the backend of the snapshot's volume. */
  async deleteSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'delete_snapshot'>,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'delete_snapshot', args, ctx);
  }

  /**
   * Cast `do_cleanup` (`POST /workers/cleanup`): to the cluster's queue when the service to clean
   * is clustered (any live member takes it), else to the service's own.
   */
  async doCleanup(ctx: RequestContext, cleanupRequest: CleanupRequest & VolumePlacement): Promise<void> {
    await this.#rpc.cast(
      volumeTarget(serviceTopicQueue(cleanupRequest)),
      'do_cleanup',
      { cleanup_request: cleanupRequest },
      ctx,
    );
  }

  /** Cast `manage_existing`: the backend sizes and adopts the object `ref` names. */
  async manageExisting(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'manage_existing'>,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'manage_existing', args, ctx);
  }

  /** Cast `manage_existing_snapshot` to the backend of the snapshot's volume. */
  async manageExistingSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'manage_existing_snapshot'>,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'manage_existing_snapshot', args, ctx);
  }

  /** Call `get_manageable_volumes` on a backend's service (`host@backend` or `cluster@backend`). */
  async getManageableVolumes(
    ctx: RequestContext,
    server: string,
    args: ManageableListArgs,
  ): Promise<ManageableVolume[]> {
    return this.#rpc.call(volumeTarget(server), 'get_manageable_volumes', { ...args }, ctx);
  }

  /** Call `get_manageable_snapshots` on a backend's service. */
  async getManageableSnapshots(
    ctx: RequestContext,
    server: string,
    args: ManageableListArgs,
  ): Promise<ManageableSnapshot[]> {
    return this.#rpc.call(volumeTarget(server), 'get_manageable_snapshots', { ...args }, ctx);
  }

  /** Call `freeze_host` on a backend's service (its driver may act on the freeze). */
  async freezeHost(ctx: RequestContext, placement: VolumePlacement): Promise<boolean> {
    return this.#rpc.call(volumeTarget(serviceTopicQueue(placement)), 'freeze_host', {}, ctx, 60);
  }

  /** Call `thaw_host`; false when the driver reported an error. */
  async thawHost(ctx: RequestContext, placement: VolumePlacement): Promise<boolean> {
    return this.#rpc.call(volumeTarget(serviceTopicQueue(placement)), 'thaw_host', {}, ctx, 60);
  }

  /** Cast `extend_volume` (the added GiB are reserved; the backend commits or rolls back). */
  async extendVolume(ctx: RequestContext, placement: VolumePlacement, args: ExtendVolumeArgs): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'extend_volume', { ...args }, ctx);
  }

  /** Cast `revert_to_snapshot` (volume `reverting`, snapshot `restoring`). */
  async revertToSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'revert_to_snapshot'>,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'revert_to_snapshot', args, ctx);
  }

  /** Cast `retype` (volume `retyping`; the per-type quota it moves is reserved). */
  async retype(ctx: RequestContext, placement: VolumePlacement, args: RetypeArgs): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'retype', { ...args }, ctx);
  }

  /** Cast `migrate_volume` to the volume's (source) backend; `host` is the target backend. */
  async migrateVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: MigrateVolumeArgs,
  ): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'migrate_volume', { ...args }, ctx);
  }

  /** Cast `copy_volume_to_image` (volume `uploading`): the backend uploads the volume's bytes. */
  async copyVolumeToImage(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: CopyVolumeToImageArgs,
  ): Promise<void> {
    await this.#rpc.cast(
      volumeTarget(serviceTopicQueue(placement)),
      'copy_volume_to_image',
      { ...args },
      ctx,
    );
  }

  /** Cast `reimage` (volume `downloading`): the backend writes the image over the volume. */
  async reimage(ctx: RequestContext, placement: VolumePlacement, args: ReimageArgs): Promise<void> {
    await this.#rpc.cast(volumeTarget(serviceTopicQueue(placement)), 'reimage', { ...args }, ctx);
  }

  /**
   * Call `create_migration_target` on the target backend (`host@backend` or `cluster@backend`):
   * it makes the volume there with the source's data and says where it now lives.
   */
  async createMigrationTarget(
    ctx: RequestContext,
    server: string,
    args: MigrationTargetArgs,
  ): Promise<MigrationTargetResult> {
    return this.#rpc.call(
      volumeTarget(server),
      'create_migration_target',
      { ...args },
      ctx,
      MIGRATION_COPY_TIMEOUT_S,
    );
  }

  /**
   * Call `get_backup_device` on the volume's backend: where the backup service reads the volume
   * (or `snapshot_id`) from, or (`mode: 'write'`) writes a restore into (src/backup/).
   */
  async getBackupDevice(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: { volume_id: string; snapshot_id: string | null; mode: 'read' | 'write' },
  ): Promise<BackupDevice> {
    return this.#rpc.call(
      volumeTarget(serviceTopicQueue(placement)),
      'get_backup_device',
      { ...args },
      ctx,
      120,
    );
  }

  /** Call `close_backup_device`: the backup service is done with a device `getBackupDevice` gave. */
  async closeBackupDevice(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'close_backup_device'>,
  ): Promise<void> {
    await this.#rpc.call(
      volumeTarget(serviceTopicQueue(placement)),
      'close_backup_device',
      { volume_id: args.volume_id, device: args.device },
      ctx,
      120,
    );
  }

  // ---- attach (all calls: the API answers with what the backend did) ----

  /** Call `attachment_update`: export the volume for `connector`; answers the connection info. */
  async attachmentUpdate(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'attachment_update'>,
  ): Promise<Record<string, unknown>> {
    return this.#call(ctx, placement, 'attachment_update', args);
  }

  /** Call `attachment_delete`: end the attachment's connection (and the export when unshared). */
  async attachmentDelete(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'attachment_delete'>,
  ): Promise<void> {
    await this.#call(ctx, placement, 'attachment_delete', args);
  }

  /** Call `initialize_connection` (legacy attach): `{driver_volume_type, data}`. */
  async initializeConnection(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'initialize_connection'>,
  ): Promise<ConnectionInfo> {
    return this.#call(ctx, placement, 'initialize_connection', args);
  }

  /** Call `terminate_connection` (legacy detach). */
  async terminateConnection(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'terminate_connection'>,
  ): Promise<void> {
    await this.#call(ctx, placement, 'terminate_connection', args);
  }

  /** Call `attach_volume` (`os-attach`): answers the attachment row. */
  async attachVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: AttachVolumeArgs,
  ): Promise<unknown> {
    return this.#call(ctx, placement, 'attach_volume', args);
  }

  /** Call `detach_volume` (`os-detach`). */
  async detachVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: VolumeRpcArgs<'detach_volume'>,
  ): Promise<void> {
    await this.#call(ctx, placement, 'detach_volume', args);
  }

  /** Cast `remove_export` (Cinder's `sync=False`): the backend drops the volume's export. */
  async removeExport(ctx: RequestContext, placement: VolumePlacement, volumeId: string): Promise<void> {
    await this.#rpc.cast(
      volumeTarget(serviceTopicQueue(placement)),
      'remove_export',
      {
        volume_id: volumeId,
      },
      ctx,
    );
  }

  #call<K extends keyof VolumeRpcMethods>(
    ctx: RequestContext,
    placement: VolumePlacement,
    method: K,
    args: VolumeRpcArgs<K>,
  ): Promise<RpcReply<VolumeRpcMethods, K>> {
    // NOTE: the transport's default reply timeout (`rpc_response_timeout`), as Cinder's calls.
    return this.#rpc.call(volumeTarget(serviceTopicQueue(placement)), method, { ...args }, ctx);
  }

  /** Asks every volume service to report capabilities now (scheduler start-up). */
  async publishServiceCapabilities(ctx: RequestContext): Promise<void> {
    await this.#rpc.cast({ topic: VOLUME_TOPIC, fanout: true }, 'publish_service_capabilities', {}, ctx);
  }
}
