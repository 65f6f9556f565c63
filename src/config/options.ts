/**
 * The option table: every option Kindling reads, with Cinder's (oslo.config) names, types,
 * defaults and help. Section types are derived from these tables, so adding an option here is
 * all it takes to make it appear, typed, in `Config`.
 */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RBD_OPTIONS } from './rbd-options.js';
import { TARGET_OPTIONS } from './target-options.js';
import type { DefaultContext, OptionDef } from './option-types.js';

export type { DefaultContext, OptionDef, OptionType, OptionValue, SectionOf } from './option-types.js';

type Extra<T> = Omit<OptionDef<T>, 'type' | 'default' | 'help'>;
type Default<T> = T | ((ctx: DefaultContext) => T);

const str = <T extends string | null = string>(
  d: Default<T>,
  help: string,
  x: Extra<T> = {},
): OptionDef<T> => ({ type: 'str', default: d, help, ...x });
const int = (d: Default<number>, help: string, x: Extra<number> = {}): OptionDef<number> => ({
  type: 'int',
  default: d,
  help,
  ...x,
});
const float = (d: Default<number>, help: string): OptionDef<number> => ({ type: 'float', default: d, help });
const bool = (d: boolean, help: string): OptionDef<boolean> => ({ type: 'bool', default: d, help });
const list = (d: readonly string[], help: string): OptionDef<readonly string[]> => ({
  type: 'list',
  default: d,
  help,
});

const statePath = (ctx: DefaultContext): string =>
  String(ctx.get('DEFAULT', 'state_path')).replace(/\/+$/, '');

/** `[DEFAULT]` options. */
export const DEFAULT_OPTIONS = {
  host: str(
    () => hostname(),
    'Name of this node, used in service and volume host strings (host@backend#pool).',
  ),
  cluster: str<string | null>(
    null,
    "Active-active cluster this node's volume services join: every member of one backend consumes `cinder-volume.<cluster>@<backend>` and takes over a dead peer's work. Members of a cluster must reach the same storage.",
  ),
  state_path: str('./var', 'Top-level directory for Kindling state: database file, file-backend volumes.'),
  osapi_volume_listen: str('127.0.0.1', 'Address the Block Storage API listens on.'),
  osapi_volume_listen_port: int(8776, 'Port the Block Storage API listens on.', { min: 0, max: 65535 }),
  client_socket_timeout: int(
    900,
    "Seconds an API connection may stay idle in the middle of a request before it is closed (oslo.service's option; 0: never).",
    { min: 0 },
  ),
  client_body_timeout: int(
    60,
    'Kindling: seconds a client has to send a whole request, headers and body, once it has begun; past that it is answered 408 and the connection closed (0: no limit).',
    { min: 0 },
  ),
  enabled_backends: list(['file'], 'Backend names; each has its own section holding its driver options.'),
  default_volume_type: str('__DEFAULT__', 'Volume type used when a request names none.'),
  storage_availability_zone: str('nova', 'Availability zone of this node.'),
  default_availability_zone: str<string | null>(
    null,
    'Zone for new volumes when none is given (unset: storage_availability_zone).',
  ),
  allow_availability_zone_fallback: bool(
    false,
    'Use default_availability_zone when the requested zone does not exist.',
  ),
  auth_strategy: str<'noauth' | 'keystone'>('noauth', 'How requests are authenticated.', {
    choices: ['noauth', 'keystone'],
  }),
  transport_url: str(
    'inproc://',
    'Message bus: inproc:// (one process) or rabbit://user:pass@host:port/vhost.',
  ),
  project_id_regex: str('[0-9a-zA-Z_\\-]+', 'Pattern a {project_id} in a URL must match.'),
  osapi_max_limit: int(1000, 'Largest number of items a collection returns in one response.'),
  resource_query_filters_file: str(
    () => fileURLToPath(new URL('../../etc/resource_filters.json', import.meta.url)),
    "JSON file naming, per resource, the list filters a non-admin may use (3.31+) and that GET /resource_filters (3.33+) lists; re-read when it changes. Default: the copy of Cinder's defaults shipped in Kindling's etc/ (Cinder's default path is /etc/cinder/resource_filters.json).",
  ),
  scheduler_max_attempts: int(3, 'Attempts to schedule a volume before giving up.', { min: 1 }),
  scheduler_default_filters: list(
    ['AvailabilityZoneFilter', 'CapacityFilter', 'CapabilitiesFilter', 'IgnoreAttemptedHostsFilter'],
    // NOTE: Cinder's default lacks IgnoreAttemptedHostsFilter, so a reschedule may land on the
    // backend that just failed; ours moves on to another one.
    'Filters the scheduler applies, in order.',
  ),
  scheduler_default_weighers: list(['CapacityWeigher'], 'Weighers the scheduler uses to rank backends.'),
  capacity_weight_multiplier: float(
    1.0,
    'Multiplier of the free-capacity weight (positive spreads, negative stacks).',
  ),
  allocated_capacity_weight_multiplier: float(-1.0, 'Multiplier of the allocated-capacity weight.'),
  max_over_subscription_ratio: str(
    '20.0',
    'Provisioned/total capacity ratio allowed on thin backends, or "auto".',
    { regex: /^(auto|\d*\.\d+|\d+)$/ },
  ),
  reserved_percentage: int(0, 'Percentage of backend capacity kept free.', { min: 0, max: 100 }),
  service_down_time: int(60, 'Seconds since the last heartbeat after which a service counts as down.'),
  report_interval: int(10, 'Seconds between service heartbeats.'),
  periodic_interval: int(60, 'Seconds between periodic tasks.'),
  stuck_operation_timeout: int(
    60,
    'Seconds after which a volume still creating/deleting on a backend is taken over again by its volume service (a lost message or a crashed worker).',
    { min: 1 },
  ),
  backend_stats_polling_interval: int(60, 'Seconds between driver capacity reports.'),
  quota_volumes: int(10, 'Volumes allowed per project (-1: unlimited).'),
  quota_snapshots: int(10, 'Snapshots allowed per project.'),
  quota_gigabytes: int(1000, 'Gigabytes of volumes and snapshots allowed per project.'),
  quota_backups: int(10, 'Backups allowed per project.'),
  quota_backup_gigabytes: int(1000, 'Gigabytes of backups allowed per project.'),
  quota_groups: int(10, 'Groups allowed per project.'),
  quota_consistencygroups: int(10, 'Consistency groups allowed per project.'),
  per_volume_size_limit: int(-1, 'Largest volume size in GB (-1: no limit).'),
  reservation_expire: int(86400, 'Seconds until a quota reservation expires.'),
  until_refresh: int(0, 'Reservations until usage is refreshed (0: never).'),
  max_age: int(0, 'Seconds between usage refreshes (0: never).'),
  use_default_quota_class: bool(true, 'Take default quotas from the default quota class.'),
  message_ttl: int(2592000, 'Seconds a user message is kept.'),
  message_reap_interval: int(
    86400,
    'Seconds between purges of expired user messages (and, Kindling, expired flow traces).',
  ),
  flow_trace_ttl: int(
    604800,
    "Kindling: seconds a volume's flow trace (its create flows' tasks and the scheduler's decision) is kept; 0 keeps none.",
    { min: 0 },
  ),
  progress_log_interval: int(
    5,
    'Kindling: seconds between two INFO lines of a long operation (backup, restore, migration copy, image download and conversion); 0: none.',
    { min: 0 },
  ),
  az_cache_duration: int(3600, 'Seconds the list of availability zones is cached.'),
  cloned_volume_same_az: bool(true, 'Create a clone in the zone of its source volume.'),
  snapshot_same_host: bool(true, "Create a volume from a snapshot on the snapshot's backend."),
  debug: bool(false, 'Log at debug level.'),
  log_file: str<string | null>(null, 'Log to this file instead of standard output.'),
  // ---- the image service (Glance), read by src/image/ (Cinder's cinder/common/config.py and
  // cinder/image/glance.py; glance_noauth_token is Kindling's)
  glance_api_servers: list(
    [],
    "Glance API URLs ([http[s]://]host:port[/path]); tried in random order. Empty: the `image` endpoint of the caller's service catalog (keystone mode; see glance_catalog_info).",
  ),
  glance_catalog_info: str(
    'image:glance:publicURL',
    'Catalog entry used when glance_api_servers is empty: <service_type>:<service_name>:<endpoint_type>.',
    { regex: /^[^:]+:[^:]*:(public|internal|admin)(URL)?$/ },
  ),
  glance_num_retries: int(3, 'Retries of a Glance request that could not connect or got a 503.', { min: 0 }),
  glance_api_insecure: bool(false, 'Do not verify the certificate of an https Glance.'),
  glance_ca_certificates_file: str<string | null>(null, 'CA certificates (PEM) for an https Glance.'),
  glance_certfile: str<string | null>(null, 'Client certificate (PEM) for an https Glance.'),
  glance_keyfile: str<string | null>(null, 'Key of glance_certfile.'),
  glance_request_timeout: {
    type: 'int',
    default: null,
    help: "Seconds a Glance request may wait for the next bytes (unset: 600, glanceclient's default).",
    min: 1,
  } as OptionDef<number | null>,
  allowed_direct_url_schemes: list(
    [],
    'Image location schemes read directly instead of through Glance (file: the file of a file:// location).',
  ),
  glance_noauth_token: str<string | null>(
    null,
    'With auth_strategy = noauth: the X-Auth-Token sent to Glance (unset: none, as Cinder; a noauth Glance needs none).',
  ),
  // ---- volumes from images (Cinder's cinder/image/image_utils.py and volume/manager.py)
  image_conversion_dir: str(
    (ctx) => `${statePath(ctx)}/conversion`,
    'Directory where images are downloaded and converted before they go into volumes.',
  ),
  image_conversion_cpu_limit: int(60, 'CPU seconds `qemu-img info` may use on an image.', { min: 1 }),
  image_conversion_address_space_limit: int(1, 'GiB of address space `qemu-img info` may use on an image.', {
    min: 1,
  }),
  image_conversion_disable: bool(
    false,
    'Take only images already in the volume format (raw): no conversion.',
  ),
  vmdk_allowed_types: list(
    ['streamOptimized', 'monolithicSparse'],
    'VMDK create types accepted (others may reference files of the host).',
  ),
  // ---- upload to an image (Cinder's volume/api.py, image/glance.py and image_utils.py)
  enable_force_upload: bool(
    false,
    'Let `force` upload an in-use volume to an image (else force is ignored).',
  ),
  glance_core_properties: list(
    [
      'checksum',
      'container_format',
      'disk_format',
      'image_name',
      'image_id',
      'min_disk',
      'min_ram',
      'name',
      'size',
    ],
    'Image metadata keys of a volume that are not copied to the properties of an image it is uploaded to.',
  ),
  reserved_image_namespaces: list(
    [],
    'Image metadata key prefixes not copied to an uploaded image, besides os_glance and img_signature.',
  ),
  allow_compression_on_image_upload: bool(
    false,
    "Let an upload ask for container_format 'compressed' (the image is gzipped).",
  ),
  image_compress_on_upload: bool(true, 'Compress images uploaded to qcow2 (upload-to-image).'),
  // ---- the internal tenant (Cinder's cinder/context.py): owner of the image-volume cache's volumes
  cinder_internal_tenant_project_id: str<string | null>(
    null,
    'ID of the project used as the Cinder internal tenant (owns the image-volume cache; unset: no cache).',
  ),
  cinder_internal_tenant_user_id: str<string | null>(
    null,
    'ID of the user used in volume operations as the Cinder internal tenant (unset: no cache).',
  ),
} as const;

/** `[database]` options. */
export const DATABASE_OPTIONS = {
  connection: str(
    (ctx) => `sqlite:///${statePath(ctx)}/kindling.sqlite`,
    'Database URL: sqlite:///path, postgresql://…, mysql://….',
  ),
} as const;

/** `[coordination]` options (tooz's). */
export const COORDINATION_OPTIONS = {
  backend_url: str<string | null>(
    null,
    'Distributed locks: inproc://, postgresql://…, mysql://…, redis://host:port. Unset: the database when it is PostgreSQL or MySQL, else in-process.',
  ),
} as const;

/** `[metrics]` options (Kindling's): the Prometheus endpoint (docs/operations.md). */
export const METRICS_OPTIONS = {
  enabled: bool(true, 'Serve Prometheus metrics at /metrics.'),
  listen: str('127.0.0.1', 'Address of the separate metrics listener (when port is set).'),
  port: {
    type: 'int',
    default: null,
    help: 'Port of a separate, unauthenticated /metrics listener (0: any free port, logged). Unset: the API serves /metrics on its own port (keystone mode: admin token) and the scheduler, volume and backup processes serve none.',
    min: 0,
    max: 65535,
  } as OptionDef<number | null>,
} as const;

/** `[healthcheck]` options (oslo.middleware's). */
export const HEALTHCHECK_OPTIONS = {
  disable_by_file_path: str<string | null>(
    null,
    'While this file exists, /healthcheck answers 503 DISABLED BY FILE (to drain a node behind a load balancer).',
  ),
} as const;

/** `[dashboard]` options (Kindling's): the built-in dashboard at /dashboard (docs/operations.md). */
export const DASHBOARD_OPTIONS = {
  enabled: bool(
    true,
    'Serve the dashboard at /dashboard on the API port (keystone mode: it asks for an admin token).',
  ),
  refresh_interval: int(5, 'Seconds between two refreshes of what the dashboard shows.', {
    min: 1,
    max: 3600,
  }),
} as const;

/** `[oslo_messaging_notifications]` options. */
export const NOTIFICATION_OPTIONS = {
  driver: list(['log'], 'Where notifications go: log, messaging, noop.'),
  topics: list(['notifications'], 'Topics notifications are sent to.'),
} as const;

/**
 * `[keystone_authtoken]` options (keystonemiddleware's names), read when `auth_strategy = keystone`
 * (by src/api/auth/keystone-http.ts, from `Config.raw`: not a typed member of `Config`).
 */
export const KEYSTONE_AUTHTOKEN_OPTIONS = {
  www_authenticate_uri: str<string | null>(
    null,
    'Keystone endpoint users are sent to in `WWW-Authenticate` of a 401 (unset: auth_url without /v3).',
  ),
  auth_url: str<string | null>(
    null,
    'Keystone URL tokens are validated against (http://host:5000 or http://host:5000/v3).',
  ),
  auth_type: str('password', "How Kindling's own user authenticates: password (the only one supported).", {
    choices: ['password'],
  }),
  username: str<string | null>(null, "Kindling's own Keystone user (it validates users' tokens)."),
  password: str<string | null>(null, 'Password of that user.'),
  project_name: str<string | null>(null, 'Project the service token is scoped to (e.g. service).'),
  user_domain_name: str('Default', "Domain of Kindling's user."),
  project_domain_name: str('Default', 'Domain of that project.'),
  service_token_roles: list(
    ['service'],
    'Roles an X-Service-Token must carry (any one) to count as a service token.',
  ),
  service_token_roles_required: bool(
    false,
    'Reject an X-Service-Token without one of service_token_roles (false: accept it, as keystonemiddleware does for compatibility).',
  ),
  token_cache_time: int(
    300,
    "Seconds a token's validation is cached (<= 0: none). A revoked token keeps working until its entry expires.",
  ),
  include_service_catalog: bool(true, "Fetch the token's service catalog into the request context."),
  http_connect_timeout: int(30, 'Seconds a request to Keystone may take.', { min: 1 }),
  http_request_max_retries: int(3, 'Retries of a request to Keystone that could not connect.', { min: 0 }),
} as const;

/** `[oslo_policy]` options (read by src/auth/policy-config.ts, from `Config.raw`). */
export const OSLO_POLICY_OPTIONS = {
  policy_file: str(
    'policy.yaml',
    'Policy overrides (YAML or JSON, oslo.policy syntax); a relative name is looked up next to the config files, then in /etc/kindling. Re-read when it changes.',
  ),
} as const;

/**
 * Options of each backend section (one per name in `enabled_backends`). A value missing from the
 * backend's own section is taken from `[backend_defaults]`, then from the default below.
 */
export const BACKEND_OPTIONS = {
  volume_driver: str('file', 'Driver of this backend: file, rbd, ….'),
  volume_backend_name: str(
    (ctx) => ctx.section,
    'Backend name reported to the scheduler (matched by volume types).',
  ),
  backend_availability_zone: str<string | null>(
    null,
    'Availability zone of this backend (unset: storage_availability_zone).',
  ),
  file_volume_dir: str(
    (ctx) =>
      ctx.section === 'file' || ctx.backendNames.length === 1
        ? `${statePath(ctx)}/volumes`
        : `${statePath(ctx)}/volumes/${ctx.section}`,
    "Directory holding the file driver's volume files.",
  ),
  reserved_percentage: int(
    (ctx) => ctx.get('DEFAULT', 'reserved_percentage') as number,
    'Percentage of capacity kept free (default: [DEFAULT] reserved_percentage).',
    { min: 0, max: 100 },
  ),
  max_over_subscription_ratio: str(
    (ctx) => ctx.get('DEFAULT', 'max_over_subscription_ratio') as string,
    'Over-subscription ratio (default: [DEFAULT] max_over_subscription_ratio).',
    { regex: /^(auto|\d*\.\d+|\d+)$/ },
  ),
  report_discard_supported: bool(
    false,
    'Report to consumers that they may send discard (trim/unmap) to this backend (`discard: true` in attach data).',
  ),
  // ---- the image-volume cache (Cinder's volume/driver.py options; src/volume/image-cache.ts)
  image_volume_cache_enabled: bool(false, 'Enable the image volume cache for this backend.'),
  image_volume_cache_max_size_gb: int(
    0,
    'Max size of the image volume cache for this backend in GB. 0 => unlimited.',
    { min: 0 },
  ),
  image_volume_cache_max_count: int(
    0,
    'Max number of entries allowed in the image volume cache. 0 => unlimited.',
    { min: 0 },
  ),
} as const;

/** Every fixed section and its table (backend sections use {@link BACKEND_OPTIONS}). */
export const SECTIONS = {
  DEFAULT: DEFAULT_OPTIONS,
  database: DATABASE_OPTIONS,
  oslo_messaging_notifications: NOTIFICATION_OPTIONS,
  coordination: COORDINATION_OPTIONS,
  metrics: METRICS_OPTIONS,
  healthcheck: HEALTHCHECK_OPTIONS,
  dashboard: DASHBOARD_OPTIONS,
} as const;

/** A flat row of the option table, for sample-config generation and docs. */
export interface OptionInfo {
  readonly section: string;
  readonly name: string;
  readonly option: OptionDef<unknown>;
}

/** The whole option table as rows; backend options are listed under section `<backend>`. */
export const OPTIONS: readonly OptionInfo[] = [
  ...Object.entries(SECTIONS).flatMap(([section, table]) =>
    Object.entries(table).map(([name, option]) => ({ section, name, option })),
  ),
  ...Object.entries(BACKEND_OPTIONS).map(([name, option]) => ({ section: '<backend>', name, option })),
  ...Object.entries(RBD_OPTIONS).map(([name, option]) => ({ section: '<backend>', name, option })),
  ...Object.entries(TARGET_OPTIONS).map(([name, option]) => ({ section: '<backend>', name, option })),
];
