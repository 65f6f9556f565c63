/**
 * Options of a `volume_driver = rbd` backend section: Cinder's RBD driver options (names, types,
 * defaults as in Cinder Zed) plus the few Kindling needs because it drives the `rbd`/`ceph` CLIs
 * instead of librados. They are read from the backend section's own keys (`extra`), converted and
 * checked as every other option is.
 */
import type { OptionDef, SectionOf } from './option-types.js';
import { normalizeSection, OptionResolver } from './resolver.js';

const str = <T extends string | null>(d: T, help: string): OptionDef<T> => ({
  type: 'str',
  default: d,
  help,
});
const int = (d: number, help: string, bounds: { min?: number; max?: number } = {}): OptionDef<number> => ({
  type: 'int',
  default: d,
  help,
  ...bounds,
});
const bool = (d: boolean, help: string): OptionDef<boolean> => ({ type: 'bool', default: d, help });

/** Per-backend options of the RBD driver. */
export const RBD_OPTIONS = {
  rbd_cluster_name: str(
    'ceph',
    'The name of the Ceph cluster (`--cluster`; cluster_name in connection info).',
  ),
  rbd_pool: str('rbd', 'The RADOS pool where the RBD volumes are stored.'),
  rbd_user: str<string | null>(
    null,
    'The RADOS client name for accessing RBD volumes (`--id`); only set with cephx authentication (unset: client.admin).',
  ),
  rbd_ceph_conf: str('', 'Path to the Ceph configuration file (`--conf`; empty: /etc/ceph/$cluster.conf).'),
  rbd_keyring_conf: str<string | null>(
    null,
    "Kindling: keyring file the CLIs use (`--keyring`; unset: the one ceph.conf names or Ceph's default). Not sent to clients unless rbd_keyring_in_connection_info is set.",
  ),
  rbd_keyring_in_connection_info: bool(
    false,
    "Kindling: put the keyring file's contents into initialize_connection's data as `keyring` (cinderlib's behaviour; Cinder's cinder.conf mode never does, OSSN-0085).",
  ),
  rbd_flatten_volume_from_snapshot: bool(
    false,
    'Flatten volumes created from snapshots to remove the dependency from volume to snapshot.',
  ),
  rbd_secret_uuid: str<string | null>(
    null,
    'The libvirt uuid of the secret for the rbd_user volumes (unset: the cluster FSID).',
  ),
  rbd_max_clone_depth: int(
    5,
    'Maximum number of nested volume clones taken before a flatten occurs; 0 disables cloning (full copies).',
  ),
  rbd_store_chunk_size: int(4, 'Volumes are chunked into objects of this size (MiB): order = log2(bytes).', {
    min: 1,
    max: 32,
  }),
  rados_connect_timeout: int(
    -1,
    'Seconds to wait when connecting to the cluster; >= 0 also bounds each monitor/OSD operation, as in Cinder. < 0: Kindling waits 10 s for the connection (librados would wait 300 s) and keeps the cluster op timeouts.',
  ),
  report_dynamic_total_capacity: bool(
    true,
    'Report total capacity as used + current free (dynamic); false: the pool quota if set, else the cluster size.',
  ),
  rbd_exclusive_cinder_pool: bool(
    true,
    "The pool holds only this backend's volumes: leave provisioned_capacity_gb to the scheduler (allocated). False: sum every image's size for it.",
  ),
  rbd_command_timeout: int(
    60,
    'Kindling: seconds an `rbd`/`ceph` command may run before it is killed (metadata commands); data commands (flatten, copy, rollback, remove) get ten times as long.',
    { min: 1 },
  ),
} as const;

/** The typed options of one RBD backend. */
export type RbdOptions = SectionOf<typeof RBD_OPTIONS>;

/**
 * The RBD options of backend `section` from its raw keys, with oslo's conversions and Cinder's
 * defaults. Keys that are no RBD option are ignored.
 * @throws ConfigError for a value of the wrong type or out of bounds.
 */
export function resolveRbdOptions(section: string, extra: Readonly<Record<string, string>>): RbdOptions {
  const name = normalizeSection(section);
  const keys = new Map(Object.entries(extra).map(([k, v]) => [k, [v]] as const));
  const resolver = new OptionResolver(
    [{ source: `[${section}]`, sections: new Map([[name, keys]]), substitute: false }],
    (s) => (s === name ? RBD_OPTIONS : undefined),
    () => undefined,
    () => [name],
  );
  return Object.fromEntries(Object.keys(RBD_OPTIONS).map((k) => [k, resolver.get(name, k)])) as RbdOptions;
}
