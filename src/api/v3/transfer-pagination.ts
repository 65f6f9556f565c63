/**
 * Cinder's `common.get_pagination_params` and `common.limited`, with their exact texts, as the
 * transfer lists use them (the shared list parser words offset errors differently).
 */
import { BadRequest } from '../../common/errors.js';
import { DB_MAX_INT } from '../schemas/parameter-types.js';

/** Python's `int(text)` on a query value: whitespace, a sign and `_` between digits allowed. */
function pyInt(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(t)) return null;
  return Number(t.replaceAll('_', ''));
}

/**
 * `limit`, `marker` and `offset` of a query, removed from it: a limit above `maxLimit` is
 * `maxLimit`; a bad one is 400 `limit param must be an integer`/`… positive`, a bad offset
 * `offset must be an integer`/`>= 0`/`<= 2147483647`.
 */
export function paginationParams(
  query: Record<string, string>,
  maxLimit: number,
): { limit: number; marker: string | null; offset: number } {
  let limit = maxLimit;
  if ('limit' in query) {
    const n = pyInt(query.limit);
    if (n === null) throw new BadRequest('limit param must be an integer');
    if (n < 0) throw new BadRequest('limit param must be positive');
    limit = Math.min(n, maxLimit);
  }
  const marker = query.marker ?? null;
  let offset = 0;
  if ('offset' in query) {
    const n = pyInt(query.offset);
    if (n === null) throw new BadRequest('offset must be an integer');
    if (n < 0) throw new BadRequest('offset must be >= 0');
    if (n > DB_MAX_INT) throw new BadRequest(`offset must be <= ${DB_MAX_INT}`);
    offset = n;
  }
  for (const k of ['limit', 'marker', 'offset']) delete query[k];
  return { limit, marker, offset };
}

/** `common.limited`: `items[offset : offset + (limit or maxLimit)]` by the request's own params. */
export function limitedSlice<T>(
  items: readonly T[],
  query: Readonly<Record<string, string>>,
  maxLimit: number,
): T[] {
  const { limit, offset } = paginationParams({ ...query }, maxLimit);
  return items.slice(offset, offset + (limit || maxLimit));
}
