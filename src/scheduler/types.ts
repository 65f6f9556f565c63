/**
 * Wire-format shapes the scheduler works on. They travel over RPC like Cinder's dicts, so their
 * keys stay snake_case exactly as Cinder spells them.
 */

/** A capacity number as drivers report it: GiB, or one of the two words Cinder tolerates. */
export type CapacityValue = number | 'infinite' | 'unknown';

/** A volume type as the scheduler needs it (Cinder's `VolumeType` primitive). */
export interface VolumeTypeSpec {
  id: string;
  name: string;
  extra_specs: Record<string, string>;
  [key: string]: unknown;
}

/** Anything type-like the filters read: only `extra_specs` matters to them. */
export interface VolumeTypeLike {
  extra_specs?: Record<string, string> | null;
  [key: string]: unknown;
}

/** `request_spec.volume_properties` (Cinder's `VolumeProperties`). */
export interface VolumeProperties {
  size: number;
  availability_zone?: string | null;
  volume_type_id?: string | null;
  project_id?: string | null;
  user_id?: string | null;
  metadata?: Record<string, string> | null;
  qos_specs?: Record<string, string> | null;
  attach_status?: string | null;
  [key: string]: unknown;
}

/** Cinder's `RequestSpec`, as cast from the API to the scheduler. */
export interface RequestSpec {
  volume_id: string;
  volume_properties: VolumeProperties;
  /** Filters read `resource_properties`; Cinder aliases it to `volume_properties`. */
  resource_properties?: VolumeProperties | null;
  volume?: Record<string, unknown> | null;
  volume_type?: VolumeTypeSpec | null;
  availability_zones?: string[] | null;
  resource_backend?: string | null;
  snapshot_id?: string | null;
  source_volid?: string | null;
  image_id?: string | null;
  backup_id?: string | null;
  group_id?: string | null;
  consistencygroup_id?: string | null;
  cgsnapshot_id?: string | null;
  operation?: string | null;
}

/** Scheduling history carried across reschedules. */
export interface RetryInfo {
  num_attempts: number;
  /** Backends (`host@backend#pool`) already tried. */
  backends: string[];
  /** Same as `backends` (Cinder keeps both for compatibility). */
  hosts: string[];
  /** Stringified failure of the previous attempt, set by the volume service. */
  exc?: string;
}

/** Cinder's `filter_properties` dict, filled in by the FilterScheduler before filtering. */
export interface FilterProperties {
  retry?: RetryInfo;
  scheduler_hints?: Record<string, unknown> | null;
  request_spec?: RequestSpec;
  config_options?: Record<string, unknown>;
  volume_type?: VolumeTypeLike | null;
  resource_type?: VolumeTypeLike | null;
  size?: number | null;
  availability_zone?: string | null;
  user_id?: string | null;
  metadata?: Record<string, string> | null;
  qos_specs?: Record<string, string> | null;
  /** Backend id that already holds the volume (retype): CapacityFilter lets it pass. */
  vol_exists_on?: string | null;
  /** Target size for extend: CapacityFilter checks `new_size - size`. */
  new_size?: number | null;
}

/** One entry of the `pools` list in a backend's stats (the driver's `get_volume_stats`). */
export interface PoolCapabilities {
  pool_name: string;
  total_capacity_gb?: CapacityValue;
  free_capacity_gb?: CapacityValue | null;
  allocated_capacity_gb?: number;
  provisioned_capacity_gb?: number;
  reserved_percentage?: number;
  thin_provisioning_support?: boolean;
  thick_provisioning_support?: boolean;
  max_over_subscription_ratio?: number | string;
  multiattach?: boolean;
  QoS_support?: boolean;
  [key: string]: unknown;
}

/** A backend's `get_volume_stats` dict as sent with `update_service_capabilities`. */
export interface Capabilities {
  volume_backend_name?: string | null;
  vendor_name?: string | null;
  driver_version?: string | null;
  storage_protocol?: string | string[] | null;
  total_capacity_gb?: CapacityValue;
  free_capacity_gb?: CapacityValue | null;
  allocated_capacity_gb?: number;
  provisioned_capacity_gb?: number;
  reserved_percentage?: number;
  thin_provisioning_support?: boolean;
  thick_provisioning_support?: boolean;
  max_over_subscription_ratio?: number | string;
  multiattach?: boolean;
  QoS_support?: boolean;
  pools?: PoolCapabilities[] | null;
  [key: string]: unknown;
}

/** What the scheduler needs to know about one `cinder-volume` service row. */
export interface VolumeServiceInfo {
  /** `host@backend` */
  host: string;
  availability_zone: string;
  disabled: boolean;
  /** Heartbeat within `service_down_time`. */
  up: boolean;
  cluster_name?: string | null;
  frozen?: boolean;
}

/** Minimal logger (pino-compatible) the scheduler writes its reasons to. */
export interface SchedulerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
