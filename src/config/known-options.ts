/**
 * Which sections and options Kindling reads, built from the option tables (never a list of names
 * kept by hand), and the check that turns everything else in a config source into a warning naming
 * it — with a suggestion when it looks like a typo (`enabled_backend` → `enabled_backends`).
 */
import {
  BACKEND_OPTIONS,
  COORDINATION_OPTIONS,
  DATABASE_OPTIONS,
  DEFAULT_OPTIONS,
  KEYSTONE_AUTHTOKEN_OPTIONS,
  NOTIFICATION_OPTIONS,
  OSLO_POLICY_OPTIONS,
  SECTIONS,
} from './options.js';
import { BACKUP_OPTIONS, DATABASE_POOL_OPTIONS, RABBIT_OPTIONS, RPC_OPTIONS } from './raw-read-options.js';
import { RBD_OPTIONS } from './rbd-options.js';
import { TARGET_OPTIONS } from './target-options.js';

type Table = Readonly<Record<string, unknown>>;
const names = (...tables: Table[]): ReadonlySet<string> => new Set(tables.flatMap((t) => Object.keys(t)));

/** Every option a backend section (and `[backend_defaults]`) may hold, whatever its driver. */
export const BACKEND_OPTION_NAMES: ReadonlySet<string> = names(BACKEND_OPTIONS, RBD_OPTIONS, TARGET_OPTIONS);

/** The sections with fixed names and the options each may hold. */
export const KNOWN_SECTIONS: Readonly<Record<string, ReadonlySet<string>>> = {
  ...Object.fromEntries(Object.entries(SECTIONS).map(([s, t]) => [s, names(t)])),
  DEFAULT: names(DEFAULT_OPTIONS, BACKUP_OPTIONS, RPC_OPTIONS),
  database: names(DATABASE_OPTIONS, DATABASE_POOL_OPTIONS),
  oslo_messaging_notifications: names(NOTIFICATION_OPTIONS),
  coordination: names(COORDINATION_OPTIONS),
  oslo_messaging_rabbit: names(RABBIT_OPTIONS),
  keystone_authtoken: names(KEYSTONE_AUTHTOKEN_OPTIONS),
  oslo_policy: names(OSLO_POLICY_OPTIONS),
  backend_defaults: BACKEND_OPTION_NAMES,
};

/** One thing in a config source that Kindling will not read. */
export interface ConfigWarning {
  /** The file, or `environment`. */
  readonly source: string;
  readonly section: string;
  /** Unset for an unknown section. */
  readonly option?: string;
  /** One line naming the source, section and option. */
  readonly message: string;
}

/** The keys of one source: section (normalised) → option names. */
export interface SourceSections {
  readonly source: string;
  readonly sections: ReadonlyMap<string, Iterable<string>>;
}

/**
 * Warnings for every section and option of `sources` that Kindling does not read. Backend
 * sections are those named in `backends` (normalised names).
 */
export function unknownOptionWarnings(
  sources: readonly SourceSections[],
  backends: readonly string[],
): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const seen = new Set<string>();
  const sectionNames = [...Object.keys(KNOWN_SECTIONS), ...backends];
  const knownIn = (section: string): ReadonlySet<string> | undefined =>
    (Object.hasOwn(KNOWN_SECTIONS, section) ? KNOWN_SECTIONS[section] : undefined) ??
    (backends.includes(section) ? BACKEND_OPTION_NAMES : undefined);
  for (const { source, sections } of sources) {
    const where = source === 'environment' ? 'environment' : source;
    for (const [section, keys] of sections) {
      const known = knownIn(section);
      if (!known) {
        const key = `${source}\0${section}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const hint = suggestion(section, sectionNames, (s) => `[${s}]`);
        warnings.push({
          source,
          section,
          message: `${where}: unknown section [${section}] ignored: not a backend of enabled_backends (${backends.join(', ')}) nor a section Kindling reads${hint}`,
        });
        continue;
      }
      for (const option of keys) {
        if (known.has(option)) continue;
        warnings.push({
          source,
          section,
          option,
          message: `${where}: unknown option ${option} in [${section}] ignored${optionHint(section, option, known, backends)}`,
        });
      }
    }
  }
  return warnings;
}

/**
 * Warnings for values of config files with an inline comment (`key = value   # note`): oslo.config
 * keeps everything after `=` — a comment starts only a line — so the note is part of the value.
 * The value itself is not repeated (it may be a password).
 */
export function inlineCommentWarnings(
  files: readonly { source: string; sections: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>> }[],
): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  for (const { source, sections } of files) {
    for (const [section, keys] of sections) {
      for (const [option, values] of keys) {
        if (!values.some((v) => /\s#/.test(v))) continue;
        warnings.push({
          source,
          section,
          option,
          message: `${source}: the value of ${option} in [${section}] contains " #": a comment must be on a line of its own (cinder.conf keeps the text after # in the value)`,
        });
      }
    }
  }
  return warnings;
}

/** ` (did you mean …?)`, or where the option belongs when it is known in another kind of section. */
function optionHint(
  section: string,
  option: string,
  known: ReadonlySet<string>,
  backends: readonly string[],
): string {
  const close = suggestion(option, [...known], (s) => s);
  if (close) return close;
  const isBackend = backends.includes(section) || section === 'backend_defaults';
  if (!isBackend && BACKEND_OPTION_NAMES.has(option))
    return ' (a backend option: set it in a backend section or [backend_defaults])';
  const home = Object.entries(KNOWN_SECTIONS).find(
    ([s, opts]) => s !== section && s !== 'backend_defaults' && opts.has(option),
  );
  return home ? ` (an option of [${home[0]}])` : '';
}

/** ` (did you mean X?)` for the closest candidate within a small edit distance, else ''. */
function suggestion(word: string, candidates: readonly string[], show: (c: string) => string): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(word.length / 4)));
  return best !== undefined && bestDistance > 0 && bestDistance <= allowed
    ? ` (did you mean ${show(best)}?)`
    : '';
}

/** Levenshtein distance, with a transposition counting as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
