/**
 * The operator's policy file (`[oslo_policy] policy_file`): where oslo looks for it, reading it
 * (YAML, which also reads JSON) into parsed rules, and re-reading it when it changes, as oslo does
 * on every check (here at most once a second).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../common/errors.js';
import { parseRule, PolicyParseError, type Check } from './policy-engine.js';

/** Where a relative `policy_file` is looked for after the config files' directories. */
export const POLICY_SEARCH_DIRS: readonly string[] = ['/etc/kindling'];

/**
 * The path of `name`: itself when absolute, else the first `<dir>/<name>` that exists, trying
 * the directories of the config files (the last one given first, as oslo.config's `find_file`)
 * and then {@link POLICY_SEARCH_DIRS}. Null when there is none.
 */
export function findPolicyFile(
  name: string,
  configFiles: readonly string[],
  searchDirs: readonly string[] = POLICY_SEARCH_DIRS,
): string | null {
  if (isAbsolute(name)) return exists(name) ? name : null;
  const dirs = [...[...configFiles].reverse().map((f) => dirname(resolve(f))), ...searchDirs];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (exists(path)) return path;
  }
  return null;
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads a policy file: a mapping of rule name to check string (or oslo's list form). An empty
 * file is no overrides.
 * @throws ConfigError naming the file and the rule when it cannot be read or parsed.
 */
export function readPolicyFile(path: string): Map<string, Check> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Failed to read policy file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Policy file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`Policy file ${path} must map rule names to rules`);
  const rules = new Map<string, Check>();
  for (const [name, rule] of Object.entries(doc)) {
    try {
      rules.set(name, parseRule(rule ?? ''));
    } catch (err) {
      if (!(err instanceof PolicyParseError)) throw err;
      throw new ConfigError(`Policy file ${path}, rule "${name}": ${err.message}`);
    }
  }
  return rules;
}

/** A policy file that is re-read when its modification time or size changes. */
export class WatchedPolicyFile {
  #rules: Map<string, Check>;
  #stamp: string;
  #checkedAt = 0;

  /**
   * Reads the file now (errors are thrown: a bad file stops the start). `onReload` hears of each
   * later reading: the new rules, or the error that kept the previous ones.
   */
  constructor(
    readonly path: string,
    private readonly onReload: (rules: Map<string, Check> | Error) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.#stamp = stampOf(path);
    this.#rules = readPolicyFile(path);
    this.#checkedAt = now();
  }

  /** The current rules, re-read first when the file changed (checked at most once a second). */
  rules(): ReadonlyMap<string, Check> {
    const now = this.now();
    if (now - this.#checkedAt < 1000) return this.#rules;
    this.#checkedAt = now;
    const stamp = stampOf(this.path);
    if (stamp === this.#stamp) return this.#rules;
    this.#stamp = stamp;
    try {
      // NOTE: a file that disappears means no overrides any more, as in oslo.
      this.#rules = stamp === 'missing' ? new Map<string, Check>() : readPolicyFile(this.path);
      this.onReload(this.#rules);
    } catch (err) {
      this.onReload(err as Error);
    }
    return this.#rules;
  }
}

function stampOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}
