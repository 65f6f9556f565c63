import type { Config } from '../config/index.js';
import type { OptionDef, SectionOf } from '../config/options.js';
import { OptionResolver } from '../config/resolver.js';

/**
 * A typed section read from the raw values of `config` with its option table: types checked,
 * defaults filled in. For the sections `Config` does not carry as typed members
 * (`[keystone_authtoken]`, `[oslo_policy]`).
 * @throws ConfigError for a value of the wrong type.
 */
export function readSection<Table extends Readonly<Record<string, OptionDef<unknown>>>>(
  config: Config,
  section: string,
  table: Table,
): SectionOf<Table> {
  const raw = config.raw[section] ?? {};
  const keys = new Map(Object.entries(raw).map(([k, v]) => [k, [v]] as const));
  const resolver = new OptionResolver(
    [{ source: 'configuration', sections: new Map([[section, keys]]), substitute: false }],
    (s) => (s === section ? table : undefined),
    () => undefined,
    () => [],
  );
  return Object.fromEntries(
    Object.keys(table).map((name) => [name, resolver.get(section, name)]),
  ) as SectionOf<Table>;
}

/** Whether the option was given at all (in a file or the environment), not just defaulted. */
export function isSet(config: Config, section: string, name: string): boolean {
  return config.raw[section]?.[name] !== undefined;
}
