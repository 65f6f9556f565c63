import type { RequestContext } from '../common/context.js';
import { VOLUME_TOPIC, volumeTarget, type Transport } from '../rpc/transport.js';
import { extractHost } from '../common/host.js';
import type { BackupDevice } from './driver.js';

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

/** How long a migration's data copy may take (a call's reply timeout), in seconds. */
export const MIGRATION_COPY_TIMEOUT_S = 6 * 3600;

/** Client side of a volume service's RPC API (queue `cinder-volume.<host|cluster>@<backend>`). */
export class VolumeRPCAPI {
  constructor(private readonly transport: Transport) {}

  /** Cast `create_volume` to the backend chosen by the scheduler. */
  async createVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: { volume_id: string; request_spec: unknown; filter_properties: unknown; allow_reschedule: boolean },
  ): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'create_volume', args, ctx);
  }

  /** Cast `delete_volume` to the volume's backend. */
  async deleteVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: { volume_id: string; cascade: boolean },
  ): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'delete_volume', args, ctx);
  }

  /** Cast `create_snapshot` to the backend of the snapshot's volume. */
  async createSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: { snapshot_id: string; volume_id: string },
  ): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'create_snapshot', args, ctx);
  }

  /** Cast `delete_snapshot` to the backend of the snapshot's volume. */
  async deleteSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: { snapshot_id: string; volume_id: string },
  ): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'delete_snapshot', args, ctx);
  }

  /** Call `freeze_host` on a backend's service (its driver may act on the freeze). */
  async freezeHost(ctx: RequestContext, placement: VolumePlacement): Promise<boolean> {
    return this.transport.call(volumeTarget(serviceTopicQueue(placement)), 'freeze_host', {}, ctx, 60);
  }

  /** Call `thaw_host`; false when the driver reported an error. */
  async thawHost(ctx: RequestContext, placement: VolumePlacement): Promise<boolean> {
    return this.transport.call(volumeTarget(serviceTopicQueue(placement)), 'thaw_host', {}, ctx, 60);
  }

  /** Cast `extend_volume` (the added GiB are reserved; the backend commits or rolls back). */
  async extendVolume(ctx: RequestContext, placement: VolumePlacement, args: ExtendVolumeArgs): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'extend_volume', { ...args }, ctx);
  }

  /** Cast `revert_to_snapshot` (volume `reverting`, snapshot `restoring`). */
  async revertToSnapshot(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: { volume_id: string; snapshot_id: string },
  ): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'revert_to_snapshot', args, ctx);
  }

  /** Cast `retype` (volume `retyping`; the per-type quota it moves is reserved). */
  async retype(ctx: RequestContext, placement: VolumePlacement, args: RetypeArgs): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'retype', { ...args }, ctx);
  }

  /** Cast `migrate_volume` to the volume's (source) backend; `host` is the target backend. */
  async migrateVolume(
    ctx: RequestContext,
    placement: VolumePlacement,
    args: MigrateVolumeArgs,
  ): Promise<void> {
    await this.transport.cast(volumeTarget(serviceTopicQueue(placement)), 'migrate_volume', { ...args }, ctx);
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
    return this.transport.call(
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
    return this.transport.call(
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
    args: { volume_id: string; device: BackupDevice },
  ): Promise<void> {
    await this.transport.call(
      volumeTarget(serviceTopicQueue(placement)),
      'close_backup_device',
      { volume_id: args.volume_id, device: args.device },
      ctx,
      120,
    );
  }

  /** Asks every volume service to report capabilities now (scheduler start-up). */
  async publishServiceCapabilities(ctx: RequestContext): Promise<void> {
    await this.transport.cast({ topic: VOLUME_TOPIC, fanout: true }, 'publish_service_capabilities', {}, ctx);
  }
}
