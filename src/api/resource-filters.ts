/**
 * The operator's resource filters file (`[DEFAULT] resource_query_filters_file`, Cinder's
 * `resource_filters.json`): per resource, the list filters a non-admin may use from 3.31, which
 * `GET /resource_filters` (3.33+) lists. Cinder's `get_enabled_resource_filters` and
 * `reject_invalid_filters` (`api/common.py`).
 *
 * The file is re-read when its modification time or size changes (looked at no more than once a
 * second); Cinder reads it once per process. A missing or unreadable file, or one that is not a
 * JSON object, counts as no filters at all, as in Cinder (every non-admin filter is refused, and the
 * list is empty), with an error logged once per change.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { RequestContext } from '../common/context.js';
import type { Config } from '../config/index.js';
import { BadRequest } from '../common/errors.js';
import { isAscii } from './v3/query-params.js';

/** Resource name → the filter keys it allows, in the file's order. */
export type ResourceFilterMap = Readonly<Record<string, readonly string[]>>;

const RECHECK_MS = 1000;

/** One resource filters file, re-read when it changes. */
export class ResourceFiltersFile {
  #filters: ResourceFilterMap = {};
  #stamp: string | null = null;
  #checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly path: string,
    private readonly log: Pick<Logger, 'error' | 'info'> | null = null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every resource's filters (Cinder's `get_enabled_resource_filters()` without a resource). */
  all(): ResourceFilterMap {
    const now = this.now();
    if (now - this.#checkedAt >= RECHECK_MS) {
      this.#checkedAt = now;
      this.#refresh();
    }
    return this.#filters;
  }

  /**
   * `get_enabled_resource_filters(resource)`: `{resource: [...]}`, or `{}` when the file does not
   * name it; every resource when `resource` is empty or absent.
   */
  get(resource?: string | null): ResourceFilterMap {
    const all = this.all();
    if (!resource) return all;
    return Object.hasOwn(all, resource) ? { [resource]: all[resource]! } : {};
  }

  /** The filter keys a non-admin may use on `resource` (none when the file does not name it). */
  allowed(resource: string): readonly string[] {
    return this.get(resource)[resource] ?? [];
  }

  #refresh(): void {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch (err) {
      if (this.#stamp !== 'missing')
        this.log?.error(
          { path: this.path, err: (err as Error).message },
          `resource query filters file does not exist: ${this.path}`,
        );
      this.#stamp = 'missing';
      this.#filters = {};
      return;
    }
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    try {
      this.#filters = parseResourceFilters(readFileSync(this.path, 'utf8'));
      this.log?.info({ path: this.path }, 'Resource query filters read');
    } catch (err) {
      this.log?.error(
        { path: this.path, err: (err as Error).message },
        `Failed to read resource query filters file ${this.path}: ${(err as Error).message}`,
      );
      this.#filters = {};
    }
  }
}

/**
 * The file's content: a JSON object of resource → list of filter keys. An entry whose value is not
 * a list is left out, as are the list's items that are not strings (Cinder would serve them as they
 * are and compare keys against them; Kindling keeps to what a filter key can be).
 * @throws Error when the text is not JSON or not an object.
 */
export function parseResourceFilters(text: string): ResourceFilterMap {
  const doc: unknown = JSON.parse(text);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error('it must be a JSON object of resource names to lists of filter keys');
  const out: Record<string, string[]> = {};
  for (const [resource, keys] of Object.entries(doc as Record<string, unknown>)) {
    if (!Array.isArray(keys)) continue;
    out[resource] = keys.filter((k): k is string => typeof k === 'string');
  }
  return out;
}

const files = new Map<string, ResourceFiltersFile>();

/** The resource filters file `config` names (one shared reader per path in a process). */
export function resourceFilters(
  config: Pick<Config, 'DEFAULT'>,
  log: Pick<Logger, 'error' | 'info'> | null = null,
): ResourceFiltersFile {
  const path = config.DEFAULT.resource_query_filters_file;
  let f = files.get(path);
  if (!f) {
    f = new ResourceFiltersFile(path, log);
    files.set(path, f);
  }
  return f;
}

/**
 * Whether `key` is one of `configured`: itself, or, with like filters (3.34+), when `key~` is
 * configured ("if 'key~' is configured, both 'key' and 'key~' are valid" — so `name~` is valid
 * only when the file names `name~` or `name~~`, never merely because it names `name`).
 */
export function filterKeyAllowed(configured: readonly string[], key: string, like: boolean): boolean {
  return configured.includes(key) || (like && configured.includes(`${key}~`));
}

/**
 * Cinder's `reject_invalid_filters`: every key must be ASCII (400 `Filter keys can only contain
 * ASCII characters.`); an admin may use any key except on `pool`; anyone else only the keys the
 * file names for `resource`, else 400 `Invalid filters <k1>,<k2> are found in query options.` A
 * non-admin's `all_tenants` (which cinderclient always sends) is removed from `filters` when the
 * file does not allow it, instead of being refused.
 */
export function rejectInvalidFilters(
  ctx: Pick<RequestContext, 'isAdmin'>,
  filters: Record<string, unknown>,
  resource: string,
  like: boolean,
  file: ResourceFiltersFile,
): void {
  const keys = Object.keys(filters);
  if (keys.some((k) => !isAscii(k))) throw new BadRequest('Filter keys can only contain ASCII characters.');
  if (ctx.isAdmin && resource !== 'pool') return;
  const configured = file.allowed(resource);
  const invalid = keys.filter((k) => !filterKeyAllowed(configured, k, like));
  const i = invalid.indexOf('all_tenants');
  if (i >= 0) {
    invalid.splice(i, 1);
    delete filters.all_tenants;
  }
  if (invalid.length)
    throw new BadRequest(`Invalid filters ${invalid.join(',')} are found in query options.`);
}

/**
 * Cinder's `remove_invalid_filter_options` with the file's list (the volume lists below 3.31, the
 * volume summary): a non-admin's keys the file does not name for `resource` are dropped.
 */
export function removeInvalidFilterOptions(
  ctx: Pick<RequestContext, 'isAdmin'>,
  filters: Record<string, unknown>,
  allowed: readonly string[],
): void {
  if (ctx.isAdmin) return;
  for (const k of Object.keys(filters)) if (!allowed.includes(k)) delete filters[k];
}
