/**
 * List parameters for the resources whose sorting is checked by Cinder's `paginate_query` (types,
 * messages): the shared parser, with the error texts `paginate_query` gives.
 */
import { BadRequest, InvalidInput } from '../../common/errors.js';
import { takeListParams, type ListParams, type SortKeyMap } from '../common/pagination.js';

/** `takeListParams`, answering bad sort keys and directions with Cinder's db-layer texts. */
export function takeModelListParams(
  query: Record<string, string>,
  maxLimit: number,
  keys: SortKeyMap,
): ListParams {
  try {
    return takeListParams(query, maxLimit, keys);
  } catch (e) {
    if (e instanceof BadRequest && e.message.startsWith('Invalid sort direction')) {
      throw new InvalidInput("Unknown sort direction, must be 'desc' or 'asc'.");
    }
    if (e instanceof BadRequest && e.message.startsWith('Invalid input received: Invalid sort key'))
      throw new InvalidInput('Invalid sort key');
    throw e;
  }
}

/** Identity sort-key map for the given columns. */
export function columnSortKeys(columns: readonly string[]): SortKeyMap {
  return Object.fromEntries(columns.map((c) => [c, c]));
}
