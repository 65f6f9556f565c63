import { BadRequest } from '../../common/errors.js';
import type { SortSpec } from '../../db/api/common.js';

/** Pagination and sort parameters of a list request (Cinder's `get_pagination_params` + `get_sort_params`). */
export interface ListParams {
  limit: number;
  /** Whether the caller gave `limit` (next links depend on it). */
  limitGiven: boolean;
  marker: string | null;
  offset: number | null;
  sort: SortSpec[];
}

const INT_RE = /^-?\d+$/;

/** Sort keys the API accepts, mapped to columns (`name` → `display_name`). */
export type SortKeyMap = Readonly<Record<string, string>>;

/**
 * Parses `limit`, `marker`, `offset`, `sort` or legacy `sort_key`/`sort_dir` from a query,
 * removing them from it (what remains are filters). Errors are Cinder's 400s.
 */
export function takeListParams(
  query: Record<string, string>,
  maxLimit: number,
  keys: SortKeyMap,
): ListParams {
  let limit = maxLimit;
  let limitGiven = false;
  if ('limit' in query) {
    const l = query.limit;
    if (!INT_RE.test(l)) throw new BadRequest('limit param must be an integer');
    const n = Number(l);
    if (n < 0) throw new BadRequest('limit param must be positive');
    limit = Math.min(n, maxLimit);
    limitGiven = true;
  }
  let offset: number | null = null;
  if ('offset' in query) {
    const o = query.offset;
    if (!INT_RE.test(o) || Number(o) < 0 || Number(o) > 2147483647)
      throw new BadRequest(`Invalid value '${o}' for offset: Value must be >= 0 and <= 2147483647`);
    offset = Number(o);
  }
  const marker = query.marker ?? null;
  const sort = parseSort(query, keys);
  for (const k of ['limit', 'offset', 'marker', 'sort', 'sort_key', 'sort_dir']) delete query[k];
  return { limit, limitGiven, marker, offset, sort };
}

function parseSort(query: Record<string, string>, keys: SortKeyMap): SortSpec[] {
  const hasNew = 'sort' in query;
  const hasOld = 'sort_key' in query || 'sort_dir' in query;
  if (hasNew && hasOld)
    throw new BadRequest(
      "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
    );
  const pairs: [string, string][] = [];
  if (hasNew) {
    for (const part of query.sort!.split(',')) {
      const [k, d] = part.split(':').map((s) => s.trim());
      pairs.push([k ?? '', d || 'desc']);
    }
  } else if (hasOld) {
    pairs.push([query.sort_key ?? 'created_at', query.sort_dir ?? 'desc']);
  }
  return pairs.map(([k, d]) => {
    const dir = d.toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`Invalid sort direction: ${d}`);
    const col = Object.hasOwn(keys, k) ? keys[k] : undefined;
    if (!col) throw new BadRequest(`Invalid input received: Invalid sort key ${k}`);
    return { key: col, dir };
  });
}

/** `<collection>_links` with a `next` link when the page may have more (Cinder's `_get_collection_links`). */
export function collectionLinks(
  items: readonly { id: string }[],
  params: ListParams,
  requestUrl: string,
  collection: string,
): { rel: string; href: string }[] | undefined {
  if (items.length === 0 || items.length < params.limit) return undefined;
  const last = items[items.length - 1]!;
  const url = new URL(requestUrl);
  url.searchParams.set('marker', last.id);
  return [{ rel: 'next', href: url.toString() }];
  void collection;
}
