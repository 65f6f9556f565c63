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
import {
  BACKEND_OPTIONS,
  DATABASE_OPTIONS,
  DEFAULT_OPTIONS,
  NOTIFICATION_OPTIONS,
  COORDINATION_OPTIONS,
  SECTIONS,
  type OptionDef,
  type SectionOf,
} from './options.js';
import { normalizeSection, OptionResolver, type ConfigLayer } from './resolver.js';

/** `[DEFAULT]`: oslo option names kept as property names, so `grep enabled_backends` works. */
export type DefaultSection = SectionOf<typeof DEFAULT_OPTIONS>;
/** `[database]`. */
export type DatabaseSection = SectionOf<typeof DATABASE_OPTIONS>;
/** `[oslo_messaging_notifications]`. */
export type NotificationSection = SectionOf<typeof NOTIFICATION_OPTIONS>;
/** `[coordination]`. */
export type CoordinationSection = SectionOf<typeof COORDINATION_OPTIONS>;
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
  /** One entry per name in `enabled_backends`, keyed by that name. */
  readonly backends: Readonly<Record<string, BackendSection>>;
  /** Every section and key from every source (normalised section names; last value wins). */
  readonly raw: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Config files read, in order. */
  readonly configFiles: readonly string[];
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
 * Build the configuration. With no files and an empty environment this is the embedded default:
 * one `file` backend under `./var/volumes`, `noauth`, SQLite at `./var/kindling.sqlite`.
 * @throws ConfigError for an unreadable or malformed file, or a value of the wrong type.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const configFiles = [...splitPathList(env.KINDLING_CONFIG), ...(options.files ?? [])];
  const layers: ConfigLayer[] = [...configFiles.map(readLayer), ...envLayers(env)];

  const resolver: OptionResolver = new OptionResolver(
    layers,
    (section) => tableOf(section, backendNames),
    (section) => (tableOf(section, backendNames) === BACKEND_OPTIONS ? 'backend_defaults' : undefined),
    () => backendNames(),
  );
  function backendNames(): readonly string[] {
    return resolver.get('DEFAULT', 'enabled_backends') as readonly string[];
  }

  const section = (name: string, table: Table) =>
    Object.fromEntries(Object.keys(table).map((opt) => [opt, resolver.get(name, opt)]));
  const backends = Object.fromEntries(
    backendNames().map((name) => [name, { ...section(name, BACKEND_OPTIONS), extra: resolver.raw(name) }]),
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
    backends,
    raw,
    configFiles,
  }) as unknown as Config;
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

function tableOf(section: string, backendNames: () => readonly string[]): Table | undefined {
  if (Object.hasOwn(SECTIONS, section)) return SECTIONS[section as keyof typeof SECTIONS];
  return backendNames().includes(section) ? BACKEND_OPTIONS : undefined;
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
