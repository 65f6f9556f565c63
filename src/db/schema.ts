import type { Generated } from 'kysely';

/**
 * The tables, as kysely sees them. Column names follow Cinder's models so a reader can map them.
 * Booleans are stored as 0/1 integers and timestamps as fixed-width ISO strings (see time.ts) so the
 * same migrations and queries work on SQLite, PostgreSQL and MySQL/MariaDB.
 */
export type Bool = 0 | 1;

/** Cinder's soft delete: rows stay, `deleted = 1` and `deleted_at` set. */
interface SoftDelete {
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
  deleted: Bool;
}

export interface VolumesTable extends SoftDelete {
  id: string;
  user_id: string | null;
  project_id: string | null;
  host: string | null;
  cluster_name: string | null;
  size: number;
  availability_zone: string | null;
  status: string;
  attach_status: string;
  migration_status: string | null;
  previous_status: string | null;
  scheduled_at: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  display_name: string | null;
  display_description: string | null;
  provider_location: string | null;
  provider_auth: string | null;
  provider_id: string | null;
  snapshot_id: string | null;
  source_volid: string | null;
  backup_id: string | null;
  volume_type_id: string;
  encryption_key_id: string | null;
  consistencygroup_id: string | null;
  group_id: string | null;
  bootable: Bool;
  multiattach: Bool;
  replication_status: string | null;
  service_uuid: string | null;
  shared_targets: Bool | null;
  use_quota: Bool;
}

interface KeyValueRow extends SoftDelete {
  id: Generated<number>;
  key: string;
  value: string;
}

export interface VolumeMetadataTable extends KeyValueRow {
  volume_id: string;
}

export interface VolumeAdminMetadataTable extends KeyValueRow {
  volume_id: string;
}

export interface VolumeTypesTable extends SoftDelete {
  id: string;
  name: string;
  description: string | null;
  is_public: Bool;
  qos_specs_id: string | null;
}

export interface VolumeTypeExtraSpecsTable extends KeyValueRow {
  volume_type_id: string;
}

export interface VolumeTypeProjectsTable extends SoftDelete {
  id: Generated<number>;
  volume_type_id: string;
  project_id: string;
}

export interface DefaultVolumeTypesTable {
  project_id: string;
  volume_type_id: string;
  created_at: string;
  updated_at: string | null;
}

export interface SnapshotsTable extends SoftDelete {
  id: string;
  volume_id: string;
  user_id: string | null;
  project_id: string | null;
  status: string;
  progress: string | null;
  volume_size: number;
  display_name: string | null;
  display_description: string | null;
  volume_type_id: string | null;
  provider_location: string | null;
  use_quota: Bool;
}

export interface QuotasTable extends SoftDelete {
  id: Generated<number>;
  project_id: string;
  resource: string;
  hard_limit: number;
  allocated: number;
}

export interface QuotaClassesTable extends SoftDelete {
  id: Generated<number>;
  class_name: string;
  resource: string;
  hard_limit: number;
}

/**
 * One live row per (project_id, resource): a unique index on (project_id, resource, deleted).
 * A soft-deleted usage row gets `deleted = id` (oslo.db's convention), not 1, so retired rows never
 * collide with each other or with the live one.
 */
export interface QuotaUsagesTable extends Omit<SoftDelete, 'deleted'> {
  /** 0 while live; the row's own id once soft-deleted. */
  deleted: number;
  id: Generated<number>;
  project_id: string;
  resource: string;
  in_use: number;
  reserved: number;
  until_refresh: number | null;
}

export interface ReservationsTable extends SoftDelete {
  id: Generated<number>;
  uuid: string;
  usage_id: number;
  project_id: string;
  resource: string;
  delta: number;
  expire: string;
}

export interface ServicesTable extends SoftDelete {
  id: Generated<number>;
  uuid: string;
  host: string;
  binary: string;
  topic: string;
  report_count: number;
  disabled: Bool;
  disabled_reason: string | null;
  availability_zone: string;
  cluster_name: string | null;
  frozen: Bool;
  replication_status: string | null;
  active_backend_id: string | null;
  modified_at: string | null;
  /** Last heartbeat; the service is up while this is within `service_down_time`. */
  heartbeat_at: string | null;
}

export interface WorkersTable extends SoftDelete {
  id: Generated<number>;
  resource_type: string;
  resource_id: string;
  status: string;
  service_id: number | null;
  cleaning: Bool;
}

export interface MessagesTable extends SoftDelete {
  id: string;
  project_id: string;
  request_id: string | null;
  resource_type: string | null;
  resource_uuid: string | null;
  event_id: string;
  message_level: string;
  expires_at: string | null;
}

export interface Database {
  volumes: VolumesTable;
  volume_metadata: VolumeMetadataTable;
  volume_admin_metadata: VolumeAdminMetadataTable;
  volume_types: VolumeTypesTable;
  volume_type_extra_specs: VolumeTypeExtraSpecsTable;
  volume_type_projects: VolumeTypeProjectsTable;
  default_volume_types: DefaultVolumeTypesTable;
  snapshots: SnapshotsTable;
  quotas: QuotasTable;
  quota_classes: QuotaClassesTable;
  quota_usages: QuotaUsagesTable;
  reservations: ReservationsTable;
  services: ServicesTable;
  workers: WorkersTable;
  messages: MessagesTable;
}
