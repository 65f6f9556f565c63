/**
 * `loadConfig()`: the typed, frozen configuration of a Kindling process. Sources, later ones
 * winning: the option defaults, config files (`KINDLING_CONFIG`, then the given files), the
 * environment shortcuts (`KINDLING_PORT`, `KINDLING_HOST`, `KINDLING_STATE_DIR`) and finally
 * generic `KINDLING__<SECTION>__<option>=value` overrides. Derived defaults (database URL, volume
 * directories) are computed from the final values, so moving `state_path` moves them too.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.js';
import { parseIni } from './ini-parser.js';
import { inlineCommentWarnings, unknownOptionWarnings, type ConfigWarning } from './known-options.js';
import {
  BACKEND_OPTIONS,
  DATABASE_OPTIONS,
  DEFAULT_OPTIONS,
  KEYSTONE_AUTHTOKEN_OPTIONS,
  NOTIFICATION_OPTIONS,
  COORDINATION_OPTIONS,
  HEALTHCHECK_OPTIONS,
  DASHBOARD_OPTIONS,
  METRICS_OPTIONS,
  OSLO_POLICY_OPTIONS,
  SECTIONS,
  type OptionDef,
  type SectionOf,
} from './options.js';
import { RBD_OPTIONS } from './rbd-options.js';
import { normalizeSection, OptionResolver, type ConfigLayer } from './resolver.js';
import { resolveTargetOptions, TARGET_OPTIONS } from './target-options.js';

/** `[DEFAULT]`: oslo option names kept as property names, so `grep enabled_backends` works. */
export type DefaultSection = SectionOf<typeof DEFAULT_OPTIONS>;
/** `[database]`. */
export type DatabaseSection = SectionOf<typeof DATABASE_OPTIONS>;
/** `[oslo_messaging_notifications]`. */
export type NotificationSection = SectionOf<typeof NOTIFICATION_OPTIONS>;
/** `[coordination]`. */
export type CoordinationSection = SectionOf<typeof COORDINATION_OPTIONS>;
/** `[metrics]`. */
export type MetricsSection = SectionOf<typeof METRICS_OPTIONS>;
/** `[healthcheck]`. */
export type HealthcheckSection = SectionOf<typeof HEALTHCHECK_OPTIONS>;
/** `[dashboard]`. */
export type DashboardSection = SectionOf<typeof DASHBOARD_OPTIONS>;
/** One backend section; `extra` holds every raw key of it, for driver-specific options. */
export type BackendSection = SectionOf<typeof BACKEND_OPTIONS> & {
  readonly extra: Readonly<Record<string, string>>;
};

/** The whole configuration (deeply frozen). */
export interface Config {
  readonly DEFAULT: DefaultSection;
  readonly database: DatabaseSection;
  readonly oslo_messaging_notifications: NotificationSection;
  readonly coordination: CoordinationSection;
  readonly metrics: MetricsSection;
  readonly healthcheck: HealthcheckSection;
  readonly dashboard: DashboardSection;
  /** One entry per name in `enabled_backends`, keyed by that name. */
  readonly backends: Readonly<Record<string, BackendSection>>;
  /** Every section and key from every source (normalised section names; last value wins). */
  readonly raw: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Config files read, in order. */
  readonly configFiles: readonly string[];
  /** Sections and options of the sources that Kindling does not read (logged at start). */
  readonly warnings: readonly ConfigWarning[];
}

/** Where configuration comes from. */
export interface LoadConfigOptions {
  /** Config files (e.g. from `--config-file`), read after those in `KINDLING_CONFIG`. */
  readonly files?: readonly string[];
  /** Environment to read overrides from; defaults to `process.env`. Pass `{}` for none. */
  readonly env?: NodeJS.ProcessEnv;
}

const ENV_SHORTCUTS: Readonly<Record<string, string>> = {
  KINDLING_PORT: 'osapi_volume_listen_port',
  KINDLING_STATE_DIR: 'state_path',
  KINDLING_HOST: 'osapi_volume_listen',
};
const GENERIC_PREFIX = 'KINDLING__';

type Table = Readonly<Record<string, OptionDef<unknown>>>;

/**
 * Every problem found in the configuration sources, one line each, with the warnings found on the
 * way (thrown by {@link loadConfig}; `message` is the lines joined with newlines).
 */
export class ConfigErrors extends ConfigError {
  constructor(
    readonly problems: readonly string[],
    readonly warnings: readonly ConfigWarning[] = [],
  ) {
    super(problems.join('\n'));
  }
}

/**
 * Build the configuration. With no files and an empty environment this is the embedded default:
 * one `file` backend under `./var/volumes`, `noauth`, SQLite at `./var/kindling.sqlite`.
 *
 * Every source is read and every option of every section Kindling reads is converted before
 * anything fails, so one run reports all the problems: unreadable or malformed files, malformed
 * environment variables, values of the wrong type, and backends listed in a file's
 * `enabled_backends` without a section of their own. Sections and options Kindling does not read
 * are not errors: they are listed in `warnings`.
 * @throws ConfigErrors listing every problem (one line each).
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const problem = (err: unknown): void => {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err instanceof ConfigErrors ? err.problems : [err.message])
      if (!problems.includes(line)) problems.push(line);
  };
  const configFiles = [...splitPathList(env.KINDLING_CONFIG), ...(options.files ?? [])];
  const layers: ConfigLayer[] = [];
  for (const file of configFiles) {
    try {
      layers.push(readLayer(file));
    } catch (err) {
      problem(err);
    }
  }
  try {
    layers.push(...envLayers(env));
  } catch (err) {
    problem(err);
  }

  const resolver: OptionResolver = new OptionResolver(
    layers,
    (section) => tableOf(section, backendNames),
    (section) => (tableOf(section, backendNames) === BACKEND_TABLE ? 'backend_defaults' : undefined),
    () => backendNames(),
  );
  function backendNames(): readonly string[] {
    return resolver.get('DEFAULT', 'enabled_backends') as readonly string[];
  }
  /** Resolves every option of `table` in `section`, noting each one that fails. */
  const check = (section: string, table: Table): void => {
    for (const name of Object.keys(table)) {
      try {
        resolver.get(section, name);
      } catch (err) {
        problem(err);
      }
    }
  };

  /** The value of an option, or undefined when it is bad (already noted). */
  const valueOf = (section: string, name: string): unknown => {
    try {
      return resolver.get(section, name);
    } catch {
      return undefined;
    }
  };

  for (const [name, table] of Object.entries(SECTIONS)) check(name, table);
  const statePath = valueOf('DEFAULT', 'state_path') as string | undefined;
  for (const name of backendNames()) {
    const before = problems.length;
    check(name, BACKEND_TABLE);
    if (problems.length > before || statePath === undefined) continue;
    try {
      // NOTE: what one option's type cannot express (CHAP pairs, an IP address), as the driver
      // will check it when it starts.
      resolveTargetOptions(name, resolver.raw(name), {
        state_path: statePath,
        backend_defaults: resolver.raw('backend_defaults'),
      });
    } catch (err) {
      problem(err);
    }
  }
  checkBackendSections(layers, backendNames(), problem);
  if (valueOf('DEFAULT', 'auth_strategy') === 'keystone')
    check('keystone_authtoken', KEYSTONE_AUTHTOKEN_OPTIONS);
  check('oslo_policy', OSLO_POLICY_OPTIONS);

  const backends = backendNames();
  const warnings = [
    ...unknownOptionWarnings(
      layers.map((l) => ({ source: l.source, sections: mapKeys(l.sections) })),
      backends.map(normalizeSection),
    ),
    ...inlineCommentWarnings(layers.filter((l) => l.source !== 'environment')),
  ];
  if (problems.length) throw new ConfigErrors(problems, warnings);

  const section = (name: string, table: Table) =>
    Object.fromEntries(Object.keys(table).map((opt) => [opt, resolver.get(name, opt)]));
  const backendSections = Object.fromEntries(
    backends.map((name) => [name, { ...section(name, BACKEND_OPTIONS), extra: resolver.raw(name) }]),
  );
  const sectionNames = new Set(
    layers.flatMap((l) => [...l.sections].filter(([, keys]) => keys.size > 0).map(([name]) => name)),
  );
  const raw = Object.fromEntries([...sectionNames].map((name) => [name, resolver.raw(name)]));

  return deepFreeze({
    DEFAULT: section('DEFAULT', DEFAULT_OPTIONS),
    database: section('database', DATABASE_OPTIONS),
    oslo_messaging_notifications: section('oslo_messaging_notifications', NOTIFICATION_OPTIONS),
    coordination: section('coordination', COORDINATION_OPTIONS),
    metrics: section('metrics', METRICS_OPTIONS),
    healthcheck: section('healthcheck', HEALTHCHECK_OPTIONS),
    dashboard: section('dashboard', DASHBOARD_OPTIONS),
    backends: backendSections,
    raw,
    configFiles,
    warnings,
  }) as unknown as Config;
}

/**
 * A backend named in `enabled_backends` must have a section of its own when the list comes from a
 * config file (a missing section is most likely a typo there). The list from the environment
 * (`KINDLING__DEFAULT__enabled_backends=a,b`) or the default needs none: its backends take the
 * defaults.
 */
function checkBackendSections(
  layers: readonly ConfigLayer[],
  backends: readonly string[],
  problem: (err: unknown) => void,
): void {
  const from = [...layers].reverse().find((l) => l.sections.get('DEFAULT')?.get('enabled_backends')?.length);
  if (!from || from.source === 'environment') return;
  for (const name of backends) {
    if (layers.some((l) => l.sections.has(normalizeSection(name)))) continue;
    problem(
      new ConfigError(
        `Backend ${name} of enabled_backends (${from.source}) has no section [${name}]: add one (it may hold only volume_driver = file)`,
      ),
    );
  }
}

function mapKeys(sections: ReadonlyMap<string, ReadonlyMap<string, unknown>>): Map<string, string[]> {
  return new Map([...sections].map(([name, keys]) => [name, [...keys.keys()]]));
}

/**
 * The config files named on a command line by repeated `--config-file PATH` (or
 * `--config-file=PATH`), in order; other arguments are ignored.
 */
export function parseCommandLineConfigFiles(argv: readonly string[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('--config-file=')) {
      files.push(arg.slice('--config-file='.length));
    } else if (arg === '--config-file') {
      const path = argv[i + 1];
      if (path === undefined || path.startsWith('--')) throw new ConfigError('--config-file needs a path');
      files.push(path);
      i++;
    }
  }
  return files;
}

/**
 * Backend sections are resolved with every backend option, driver-specific ones included, so that
 * each is checked (and falls back to `[backend_defaults]`) as the driver will read it.
 */
const BACKEND_TABLE: Table = { ...BACKEND_OPTIONS, ...RBD_OPTIONS, ...TARGET_OPTIONS };

function tableOf(section: string, backendNames: () => readonly string[]): Table | undefined {
  if (Object.hasOwn(SECTIONS, section)) return SECTIONS[section as keyof typeof SECTIONS];
  if (section === 'keystone_authtoken') return KEYSTONE_AUTHTOKEN_OPTIONS;
  if (section === 'oslo_policy') return OSLO_POLICY_OPTIONS;
  return backendNames().includes(section) ? BACKEND_TABLE : undefined;
}

function splitPathList(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p !== '');
}

function readLayer(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Failed to read config file ${path}: ${(err as Error).message}`);
  }
  const sections = new Map<string, Map<string, string[]>>();
  for (const [name, keys] of parseIni(text, path)) {
    const merged = sections.get(normalizeSection(name)) ?? new Map<string, string[]>();
    for (const [key, values] of keys) merged.set(key, [...(merged.get(key) ?? []), ...values]);
    sections.set(normalizeSection(name), merged);
  }
  return { source: path, sections, substitute: true };
}

/** The shortcut variables, then the generic `KINDLING__<SECTION>__<option>` ones (which win). */
function envLayers(env: NodeJS.ProcessEnv): ConfigLayer[] {
  const shortcuts = new Map<string, string[]>();
  for (const [variable, option] of Object.entries(ENV_SHORTCUTS)) {
    const value = env[variable];
    if (value !== undefined && value !== '') shortcuts.set(option, [value]);
  }
  const generic = new Map<string, Map<string, string[]>>();
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(GENERIC_PREFIX) || value === undefined) continue;
    const rest = variable.slice(GENERIC_PREFIX.length);
    const split = rest.indexOf('__');
    if (split <= 0 || split + 2 >= rest.length) {
      throw new ConfigError(
        `Environment variable ${variable} must look like ${GENERIC_PREFIX}<SECTION>__<option>`,
      );
    }
    const rawSection = rest.slice(0, split);
    // NOTE: environment names are often upper-cased, so `default` means DEFAULT and option
    // names (always lower case in oslo) are lower-cased.
    const name = rawSection.toUpperCase() === 'DEFAULT' ? 'DEFAULT' : normalizeSection(rawSection);
    const keys = generic.get(name) ?? new Map<string, string[]>();
    keys.set(rest.slice(split + 2).toLowerCase(), [value]);
    generic.set(name, keys);
  }
  return [
    { source: 'environment', sections: new Map([['DEFAULT', shortcuts]]), substitute: false },
    { source: 'environment', sections: generic, substitute: false },
  ];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
