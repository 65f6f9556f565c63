/**
 * Options of the iSCSI export layer (src/volume/targets/) of a backend section: Cinder's target
 * options (names, types and defaults as in Cinder Zed's `volume/driver.py` where Kindling has the
 * same meaning), plus `tgtd_control_port`, Kindling's own. They are read from the backend section's
 * own keys (`extra`), then from `[backend_defaults]`, as every backend option is; file values get
 * oslo's `$name` substitution (`volumes_dir = $state_path/iscsi`).
 */
import { isIP } from 'node:net';
import { ConfigError } from '../common/errors.js';
import type { DefaultContext, OptionDef, SectionOf } from './option-types.js';
import { normalizeSection, OptionResolver, type ConfigLayer } from './resolver.js';

type Extra<T> = Omit<OptionDef<T>, 'type' | 'default' | 'help'>;
const str = <T extends string | null = string>(
  d: T | ((ctx: DefaultContext) => T),
  help: string,
  x: Extra<T> = {},
): OptionDef<T> => ({ type: 'str', default: d, help, ...x });
const int = <T extends number | null = number>(d: T, help: string, x: Extra<T> = {}): OptionDef<T> => ({
  type: 'int',
  default: d,
  help,
  ...x,
});
const bool = (d: boolean, help: string): OptionDef<boolean> => ({ type: 'bool', default: d, help });

/** A value that lands in tgtadm arguments, provider_location or the persistence file: one word. */
const WORD = /^\S*$/;

/** The target helpers Kindling implements (Cinder also has lioadm, scstadmin, nvmet, …). */
export const TARGET_HELPERS = ['tgtadm', 'fake'] as const;
export type TargetHelper = (typeof TARGET_HELPERS)[number];

/** Per-backend options of the iSCSI target. */
export const TARGET_OPTIONS = {
  target_helper: str<TargetHelper>(
    'tgtadm',
    'Target user-land tool to use: tgtadm (Debian `tgt`, userspace tgtd) or fake (in memory, for tests only).',
    { choices: TARGET_HELPERS },
  ),
  target_prefix: str('iqn.2010-10.org.openstack:', 'Prefix for iSCSI volumes (IQN = prefix + volume name).', {
    regex: /^\S+$/,
  }),
  // NOTE: Cinder's default is $my_ip; Kindling has no my_ip and listens on loopback unless told.
  target_ip_address: str('127.0.0.1', 'The IP address that the iSCSI daemon is listening on.'),
  target_port: int(3260, 'The port that the iSCSI daemon is listening on.', { min: 1, max: 65535 }),
  target_protocol: str<'iscsi' | 'iser'>(
    'iscsi',
    "Determines the target protocol for new volumes: iscsi, or iser (RDMA; tgtd's iser driver, which needs RDMA hardware).",
    { choices: ['iscsi', 'iser'] },
  ),
  use_chap_auth: bool(false, 'Option to enable/disable CHAP authentication for targets.'),
  chap_username: str('', 'CHAP user name (empty: one generated per volume).', { regex: WORD }),
  chap_password: str('', 'Password for specified CHAP account name (empty: one generated per volume).', {
    regex: WORD,
  }),
  // NOTE: Cinder's default is $state_path/volumes, but that is where Kindling's file driver keeps
  // the volume files themselves (file_volume_dir): a persistence file `volume-<id>` would collide
  // with the volume file of the same name.
  volumes_dir: str<string>(
    (ctx) => `${String(ctx.get('DEFAULT', 'state_path')).replace(/\/+$/, '')}/targets`,
    'Volume configuration file storage directory: one tgt config file per export (include it from a system tgtd to serve the same exports).',
  ),
  iscsi_write_cache: str<'on' | 'off'>(
    'on',
    'Sets the behavior of the iSCSI target to either perform write-back(on) or write-through(off).',
    { choices: ['on', 'off'] },
  ),
  iscsi_target_flags: str(
    '',
    "Sets the target-specific flags for the iSCSI target: tgt's backing-store flags (bsoflags: sync, direct, sync:direct).",
    { regex: WORD },
  ),
  tgtd_control_port: int<number | null>(
    null,
    'Kindling: unset = Kindling starts and watches its own tgtd on target_ip_address:target_port; a number N = use the tgtd already running on management channel N (`tgtadm -C N`), which Kindling never starts or stops.',
    { min: 0, max: 65535 },
  ),
} as const;

/** The typed target options of one backend. */
export type TargetOptions = SectionOf<typeof TARGET_OPTIONS>;

/** What the options may refer to outside the backend's section. */
export interface TargetOptionContext {
  /** `[DEFAULT] state_path` (the default `volumes_dir` is under it). */
  readonly state_path: string;
  /** The raw keys of `[backend_defaults]` (`Config.raw.backend_defaults`), if any. */
  readonly backend_defaults?: Readonly<Record<string, string>>;
}

const DEFAULT_TABLE = { state_path: str('./var', '[DEFAULT] state_path') } as const;
const BACKEND_DEFAULTS = 'backend_defaults';

/**
 * The target options of backend `section` from its raw keys (then `[backend_defaults]`), with
 * oslo's conversions and Cinder's defaults. Keys that are no target option are ignored.
 * @throws ConfigError for a value of the wrong type, out of bounds or not allowed.
 */
export function resolveTargetOptions(
  section: string,
  extra: Readonly<Record<string, string>>,
  ctx: TargetOptionContext,
): TargetOptions {
  const name = normalizeSection(section);
  const keys = (raw: Readonly<Record<string, string>>) =>
    new Map(Object.entries(raw).map(([k, v]) => [k, [v]] as const));
  const layer: ConfigLayer = {
    source: `[${section}]`,
    sections: new Map([
      ['DEFAULT', keys({ state_path: ctx.state_path })],
      [BACKEND_DEFAULTS, keys(ctx.backend_defaults ?? {})],
      [name, keys(extra)],
    ]),
    substitute: true,
  };
  const resolver = new OptionResolver(
    [layer],
    (s) =>
      s === 'DEFAULT' ? DEFAULT_TABLE : s === name || s === BACKEND_DEFAULTS ? TARGET_OPTIONS : undefined,
    (s) => (s === name ? BACKEND_DEFAULTS : undefined),
    () => [name],
  );
  const o = Object.fromEntries(
    Object.keys(TARGET_OPTIONS).map((k) => [k, resolver.get(name, k)]),
  ) as TargetOptions;
  checkTargetOptions(section, o);
  return o;
}

/** The checks one option's type cannot express. */
function checkTargetOptions(section: string, o: TargetOptions): void {
  const bad = (option: string, why: string): never => {
    throw new ConfigError(`Invalid value for option ${option} in group [${section}]: ${why}`);
  };
  if (isIP(o.target_ip_address) === 0)
    bad('target_ip_address', `'${o.target_ip_address}' is not an IP address (tgtd binds its portal to it)`);
  if ((o.chap_username === '') !== (o.chap_password === ''))
    bad(
      o.chap_username === '' ? 'chap_username' : 'chap_password',
      'set both chap_username and chap_password, or neither (then each volume gets its own generated account)',
    );
  if (o.volumes_dir === '') bad('volumes_dir', 'must not be empty');
}
