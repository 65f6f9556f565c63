/**
 * `kindling manage config list [section] [option]`: the options in effect — every option of every
 * section Kindling reads, from the loaded configuration files and environment, defaults included —
 * as `<option> = <value>` (cinder-manage's form: Python's `str()` of the value).
 *
 * Masked (`****`): the value of every option whose name contains `password`
 * (`[keystone_authtoken] password`, a backend's `chap_password`), and the password of every URL
 * with credentials (`transport_url`, `[database] connection`, `[coordination] backend_url`, …:
 * `rabbit://kindling:****@ctl:5672/`).
 */
import type { Command } from 'commander';
import { pythonStr } from '../../common/strutils.js';
import type { Config } from '../../config/index.js';
import {
  BACKEND_OPTIONS,
  DATABASE_OPTIONS,
  DEFAULT_OPTIONS,
  KEYSTONE_AUTHTOKEN_OPTIONS,
  OSLO_POLICY_OPTIONS,
  SECTIONS,
  type OptionDef,
} from '../../config/options.js';
import {
  BACKUP_OPTIONS,
  DATABASE_POOL_OPTIONS,
  RABBIT_OPTIONS,
  RPC_OPTIONS,
} from '../../config/raw-read-options.js';
import { RBD_OPTIONS } from '../../config/rbd-options.js';
import { TARGET_OPTIONS } from '../../config/target-options.js';
import { normalizeSection, OptionResolver } from '../../config/resolver.js';
import { ManageError, type Io, type Select } from './common.js';

type Table = Readonly<Record<string, OptionDef<unknown>>>;

/** Options of a backend section read by its driver and export layer (not typed in `Config`). */
const DRIVER_TABLE: Table = { ...RBD_OPTIONS, ...TARGET_OPTIONS };

/** The options a section listing shows: typed ones first, then those modules read from `raw`. */
function sectionTables(config: Config): [string, Table][] {
  const fixed = Object.entries(SECTIONS as Record<string, Table>).map(([name, table]): [string, Table] => {
    if (name === 'DEFAULT') return [name, { ...table, ...BACKUP_OPTIONS, ...RPC_OPTIONS }];
    if (name === 'database') return [name, { ...table, ...DATABASE_POOL_OPTIONS }];
    return [name, table];
  });
  return [
    ...fixed,
    ['oslo_messaging_rabbit', RABBIT_OPTIONS],
    ['keystone_authtoken', KEYSTONE_AUTHTOKEN_OPTIONS],
    ['oslo_policy', OSLO_POLICY_OPTIONS],
    ...Object.keys(config.backends).map((b): [string, Table] => [b, { ...BACKEND_OPTIONS, ...DRIVER_TABLE }]),
  ];
}

/**
 * The effective value of every option: `Config`'s typed value where it has one; otherwise the
 * option resolved from `config.raw` as the module reading it does (backend options falling back
 * to `[backend_defaults]`, then the default).
 */
function effectiveValues(config: Config): Map<string, [string, string][]> {
  const tables = sectionTables(config);
  const backends = Object.keys(config.backends);
  const tableOf = (section: string): Table | undefined => {
    if (section === 'DEFAULT') return { ...DEFAULT_OPTIONS, ...BACKUP_OPTIONS, ...RPC_OPTIONS };
    if (section === 'database') return { ...DATABASE_OPTIONS, ...DATABASE_POOL_OPTIONS };
    return tables.find(([name]) => normalizeSection(name) === normalizeSection(section))?.[1];
  };
  const sections = new Map(
    Object.entries(config.raw).map(([s, keys]) => [
      s,
      new Map(Object.entries(keys).map(([k, v]) => [k, [v]])),
    ]),
  );
  // NOTE: a default naming another option (`$state_path/backup`) is substituted as its module
  // does: given to the resolver as if written in the file, where nothing sets the option.
  for (const [section, table] of tables) {
    const name = normalizeSection(section);
    const fallback = backends.includes(section) ? config.raw.backend_defaults : undefined;
    for (const [opt, def] of Object.entries(table)) {
      if (typeof def.default !== 'string' || !def.default.includes('$')) continue;
      if (config.raw[name]?.[opt] !== undefined || fallback?.[opt] !== undefined) continue;
      const keys = sections.get(name) ?? new Map<string, string[]>();
      keys.set(opt, [def.default]);
      sections.set(name, keys);
    }
  }
  const resolver = new OptionResolver(
    [{ source: 'configuration', sections, substitute: true }],
    tableOf,
    (section) => (backends.includes(section) ? 'backend_defaults' : undefined),
    () => backends,
  );
  const typed = (section: string, name: string): { value: unknown } | undefined => {
    const s = (
      backends.includes(section)
        ? config.backends[section]
        : (config as unknown as Record<string, unknown>)[section]
    ) as Record<string, unknown> | undefined;
    return s && name !== 'extra' && Object.hasOwn(s, name) ? { value: s[name] } : undefined;
  };
  const out = new Map<string, [string, string][]>();
  for (const [section, table] of tables) {
    const lines: [string, string][] = [];
    for (const [name, option] of Object.entries(table)) {
      let value: unknown;
      const known = typed(section, name);
      if (known) value = known.value;
      else
        try {
          value = resolver.get(section, name);
        } catch {
          // NOTE: a bad value of an option this run does not check (keystone's in noauth mode).
          value = config.raw[normalizeSection(section)]?.[name] ?? null;
        }
      lines.push([name, shown(name, option, value)]);
    }
    out.set(section, lines);
  }
  return out;
}

/** `rabbit://user:secret@host` → `rabbit://user:****@host` (every host of a multi-host URL). */
function maskUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  return text.replace(/([/,][^:/@,]*:)[^@,/]*@/g, '$1****@');
}

/** The value as cinder-manage prints it (Python's `str()`), secrets masked. */
function shown(name: string, option: OptionDef<unknown>, value: unknown): string {
  if (name.includes('password') && typeof value === 'string' && value !== '') return '****';
  if (typeof value === 'string') return maskUrl(value);
  if (Array.isArray(value))
    return pythonStr(value.map((v: unknown) => (typeof v === 'string' ? maskUrl(v) : v)));
  if (option.type === 'float' && typeof value === 'number' && Number.isInteger(value)) return `${value}.0`;
  return pythonStr(value);
}

function configList(io: Io, section: string | undefined, option: string | undefined): number {
  const values = effectiveValues(io.config);
  const find = (name: string) =>
    [...values.keys()].find((s) => s === name || normalizeSection(s) === normalizeSection(name));
  const print = (s: string) => {
    io.out(`[${s}]`);
    for (const [name, value] of values.get(s)!) io.out(`${name} = ${value}`);
  };
  if (section === undefined) {
    [...values.keys()].forEach((s, i) => {
      if (i) io.out('');
      print(s);
    });
    return 0;
  }
  const s = find(section);
  if (option === undefined) {
    if (s) {
      print(s);
      return 0;
    }
    // cinder-manage's `config list <option>`: an option of [DEFAULT].
    const line = values.get('DEFAULT')!.find(([name]) => name === section);
    if (!line)
      throw new ManageError(
        `No section [${section}] and no option ${section} in [DEFAULT]: sections are ${[...values.keys()].join(', ')}`,
      );
    io.out(`${line[0]} = ${line[1]}`);
    return 0;
  }
  if (!s) throw new ManageError(`No section [${section}]: sections are ${[...values.keys()].join(', ')}`);
  const line = values.get(s)!.find(([name]) => name === option);
  if (!line) throw new ManageError(`No option ${option} in section [${s}]`);
  io.out(`${line[0]} = ${line[1]}`);
  return 0;
}

/** Adds `config list` under `parent`. */
export function addConfigCommands(parent: Command, io: Io, select: Select): void {
  parent
    .command('config')
    .description('the configuration in effect')
    .command('list')
    .description(
      'every option in effect (files, environment, defaults) as "<option> = <value>", by section; passwords and URL credentials are shown as ****',
    )
    .argument('[section]', 'only this section (DEFAULT, database, a backend, …), or an option of [DEFAULT]')
    .argument('[option]', 'only this option of the section')
    .action((section: string | undefined, option: string | undefined) =>
      select({ database: false, run: async () => configList(io, section, option) }),
    );
}
