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

/**
 * Projects that may use a private type. One live row per (type, project): a unique index on
 * (volume_type_id, project_id, deleted); a removed row gets `deleted = id`, not 1 (oslo.db's way).
 */
export interface VolumeTypeProjectsTable extends Omit<SoftDelete, 'deleted'> {
  /** 0 while live; the row's own id once removed. */
  deleted: number;
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

/**
 * QoS specs as Cinder stores them (an adjacency list): the root row of a spec has `specs_id` null,
 * `key` `QoS_Specs_Name` and the name as `value`; each spec key (`consumer` too) is a child row.
 */
export interface QualityOfServiceSpecsTable extends SoftDelete {
  id: string;
  specs_id: string | null;
  key: string | null;
  value: string | null;
}

/** A volume type's encryption spec (Cinder's `Encryption`), at most one live row per type. */
export interface EncryptionTable extends SoftDelete {
  encryption_id: string;
  cipher: string | null;
  key_size: number | null;
  provider: string | null;
  control_location: string | null;
  volume_type_id: string;
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
  /** The group snapshot this snapshot was taken for (migration 007); optional so writers may omit it. */
  group_snapshot_id?: string | null;
}

export interface SnapshotMetadataTable extends KeyValueRow {
  snapshot_id: string;
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
  /** Bumped by each cleanup claim (migration 012). */
  race_preventer: Generated<number>;
}

/** An active-active cluster (Cinder's `Cluster`; migration 012). */
export interface ClustersTable extends SoftDelete {
  id: Generated<number>;
  /** `cluster@backend` for volume services (as the members' `services.cluster_name`). */
  name: string;
  binary: string;
  disabled: Bool;
  disabled_reason: string | null;
  /** 0 while live, the row's id once deleted: (name, binary, race_preventer) is unique. */
  race_preventer: number;
  replication_status: string | null;
  active_backend_id: string | null;
  frozen: Bool;
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
  /** Kindling's text after Cinder's detail in `user_message` (migration 011); null for most. */
  detail_text: string | null;
}

/** A volume offered to another project (Cinder's `Transfer`); the auth key is kept only hashed. */
export interface TransfersTable extends SoftDelete {
  id: string;
  volume_id: string;
  display_name: string | null;
  salt: string | null;
  crypt_hash: string | null;
  expires_at: string | null;
  no_snapshots: Bool;
  source_project_id: string | null;
  destination_project_id: string | null;
  accepted: Bool;
}

/** A backup of a volume (Cinder's `Backup`); `service_metadata` is the object-name prefix. */
export interface BackupsTable extends SoftDelete {
  id: string;
  volume_id: string;
  user_id: string | null;
  project_id: string | null;
  host: string | null;
  availability_zone: string | null;
  display_name: string | null;
  display_description: string | null;
  container: string | null;
  status: string;
  fail_reason: string | null;
  service_metadata: string | null;
  service: string | null;
  size: number | null;
  object_count: number | null;
  parent_id: string | null;
  temp_volume_id: string | null;
  temp_snapshot_id: string | null;
  num_dependent_backups: number;
  snapshot_id: string | null;
  data_timestamp: string | null;
  restore_volume_id: string | null;
  encryption_key_id: string | null;
}

export interface BackupMetadataTable extends KeyValueRow {
  backup_id: string;
}

export interface Database {
  volumes: VolumesTable;
  volume_metadata: VolumeMetadataTable;
  volume_admin_metadata: VolumeAdminMetadataTable;
  volume_types: VolumeTypesTable;
  volume_type_extra_specs: VolumeTypeExtraSpecsTable;
  volume_type_projects: VolumeTypeProjectsTable;
  default_volume_types: DefaultVolumeTypesTable;
  quality_of_service_specs: QualityOfServiceSpecsTable;
  encryption: EncryptionTable;
  snapshots: SnapshotsTable;
  snapshot_metadata: SnapshotMetadataTable;
  quotas: QuotasTable;
  quota_classes: QuotaClassesTable;
  quota_usages: QuotaUsagesTable;
  reservations: ReservationsTable;
  services: ServicesTable;
  workers: WorkersTable;
  clusters: ClustersTable;
  messages: MessagesTable;
  transfers: TransfersTable;
  backups: BackupsTable;
  backup_metadata: BackupMetadataTable;
  group_types: GroupTypesTable;
  group_type_specs: GroupTypeSpecsTable;
  groups: GroupsTable;
  group_volume_type_mapping: GroupVolumeTypeMappingTable;
  group_snapshots: GroupSnapshotsTable;
  volume_attachment: VolumeAttachmentTable;
  volume_glance_metadata: VolumeGlanceMetadataTable;
  image_volume_cache_entries: ImageVolumeCacheEntriesTable;
  flow_traces: FlowTracesTable;
  capacity_allocations: CapacityAllocationsTable;
}

/**
 * GiB of live volumes per `host` or `cluster_name` value (migration 014, Kindling's own), kept by
 * triggers on `volumes`: what the scheduler's capacity claim and the volume stats read.
 */
export interface CapacityAllocationsTable {
  kind: 'host' | 'cluster_name';
  location: string;
  allocated_gb: number;
}

/**
 * One run of a create flow for a volume (migration 011, Kindling's own): its tasks and, for the
 * scheduler's flow, the scheduler's decision, as JSON text (src/db/api/flow-traces.ts).
 */
export interface FlowTracesTable {
  id: string;
  volume_id: string;
  project_id: string | null;
  request_id: string | null;
  flow: string;
  host: string | null;
  outcome: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  tasks: string;
  decision: string | null;
  created_at: string;
  expires_at: string;
}

// ---- generic volume groups (migration 007) -------------------------------------------------------

export interface GroupTypesTable extends SoftDelete {
  id: string;
  name: string;
  description: string | null;
  is_public: Bool;
}

export interface GroupTypeSpecsTable extends SoftDelete {
  id: Generated<number>;
  group_type_id: string;
  key: string;
  value: string | null;
}

/** A generic volume group, placed on one backend (`host` is `host@backend#pool`). */
export interface GroupsTable extends SoftDelete {
  id: string;
  user_id: string | null;
  project_id: string | null;
  host: string | null;
  cluster_name: string | null;
  availability_zone: string | null;
  name: string | null;
  description: string | null;
  group_type_id: string;
  status: string;
  group_snapshot_id: string | null;
  source_group_id: string | null;
  replication_status: string | null;
}

export interface GroupVolumeTypeMappingTable extends SoftDelete {
  id: Generated<number>;
  volume_type_id: string;
  group_id: string;
}

export interface GroupSnapshotsTable extends SoftDelete {
  id: string;
  group_id: string;
  user_id: string | null;
  project_id: string | null;
  name: string | null;
  description: string | null;
  status: string;
  group_type_id: string | null;
}

// ---- attachments (migration 008) ------------------------------------------------------------------

/** One attachment of a volume (Cinder's `VolumeAttachment`); JSON in `connection_info`/`connector`. */
export interface VolumeAttachmentTable extends SoftDelete {
  id: string;
  volume_id: string;
  instance_uuid: string | null;
  attached_host: string | null;
  mountpoint: string | null;
  attach_time: string | null;
  detach_time: string | null;
  attach_status: string | null;
  attach_mode: string | null;
  connection_info: string | null;
  connector: string | null;
}

// ---- volume image metadata (migration 009) -----------------------------------------------------------

/**
 * One image property of a volume or of a snapshot (Cinder's `VolumeGlanceMetadata`): exactly one
 * of `volume_id` and `snapshot_id` is set.
 */
export interface VolumeGlanceMetadataTable extends SoftDelete {
  id: Generated<number>;
  volume_id: string | null;
  snapshot_id: string | null;
  key: string;
  value: string;
}

// ---- the image-volume cache (migration 010) -----------------------------------------------------------

/**
 * One volume of the image-volume cache (Cinder's `ImageVolumeCacheEntry`): no soft delete, an
 * evicted entry's row is removed.
 */
export interface ImageVolumeCacheEntriesTable {
  id: Generated<number>;
  /** The cache volume's `host@backend#pool`. */
  host: string;
  cluster_name: string | null;
  image_id: string;
  /** The image's `updated_at` when the entry was made. */
  image_updated_at: string | null;
  volume_id: string;
  /** GiB. */
  size: number;
  last_used: string;
}
