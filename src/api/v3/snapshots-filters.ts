/**
 * Query filters and sort keys of snapshot lists (Cinder's `SnapshotsController._items` with
 * `process_general_filtering('snapshot')`, and the db layer's `_process_snaps_filters`).
 */
import type { RequestContext } from '../../common/context.js';
import { boolFromString } from '../../common/strutils.js';
import type { SnapshotFilters } from '../../db/api/snapshots.js';
import type { SnapshotsTable } from '../../db/schema.js';
import type { APIVersion } from '../microversion.js';
import type { SortKeyMap } from '../common/pagination.js';
import { columnSortKeys } from './list-params.js';
import { getBoolParam } from './query-params.js';
import { rejectInvalidFilters, type ResourceFiltersFile } from '../resource-filters.js';
import { parseDictFilter } from './volume-filters.js';

/** Columns of Cinder's Snapshot model that Kindling stores. */
const COLUMNS = [
  'id',
  'volume_id',
  'user_id',
  'project_id',
  'status',
  'progress',
  'volume_size',
  'display_name',
  'display_description',
  'volume_type_id',
  'provider_location',
  'use_quota',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
] as const satisfies readonly (keyof SnapshotsTable)[];

/** Columns of Cinder's model Kindling does not keep: always NULL, so no filter on them matches. */
const ALWAYS_NULL = [
  'cgsnapshot_id',
  'group_snapshot_id',
  'encryption_key_id',
  'provider_id',
  'provider_auth',
];

/** Filters a non-admin may use before 3.31 (`_get_snapshot_filter_options`). */
const LEGACY_USER_FILTERS = ['status', 'volume_id', 'name', 'metadata'];
/** Filters on the snapshot's volume rather than the snapshot. */
const VOLUME_FILTERS = ['host', 'cluster_name', 'availability_zone'] as const;

/** Sort keys: the model's columns, plus `name` for `display_name` from 3.30. */
export function snapshotSortKeys(version: APIVersion): SortKeyMap {
  const keys: Record<string, string> = { ...columnSortKeys(COLUMNS) };
  if (version.gte('3.30')) keys.name = 'display_name';
  return keys;
}

/**
 * Turns what is left of the query (pagination keys already taken) into list filters; null when a
 * filter can match nothing (Cinder answers those with an empty list). Errors are Cinder's 400s.
 */
export function snapshotFiltersFromQuery(
  query: Record<string, string>,
  ctx: RequestContext,
  version: APIVersion,
  file: ResourceFiltersFile,
): SnapshotFilters | null {
  const q = { ...query };
  if (version.gte('3.31')) {
    // The keys a non-admin may use: the resource filters file's `snapshot` entry.
    rejectInvalidFilters(ctx, q, 'snapshot', version.gte('3.34'), file);
    if (!ctx.isAdmin) delete q.all_tenants;
    for (const [from, to] of [
      ['name~', 'display_name~'],
      ['description~', 'display_description~'],
      ['consumes_quota', 'use_quota'],
    ] as const) {
      if (from in q) {
        q[to] = q[from]!;
        delete q[from];
      }
    }
  } else {
    if (!version.gte('3.22')) delete q.metadata;
    if (!version.gte('3.65')) delete q.use_quota;
    if (!ctx.isAdmin) for (const k of Object.keys(q)) if (!LEGACY_USER_FILTERS.includes(k)) delete q[k];
  }
  if ('use_quota' in q) q.use_quota = getBoolParam('use_quota', q) ? '1' : '0';
  if ('name' in q) {
    q.display_name = q.name!;
    delete q.name;
  }
  const allTenants = 'all_tenants' in q && boolFromString(q.all_tenants);
  delete q.all_tenants;

  const f: SnapshotFilters = { columns: {}, like: {}, volume: {} };
  if (!(ctx.isAdmin && allTenants)) f.project_id = ctx.projectId;
  for (const [key, value] of Object.entries(q)) {
    if (key === 'metadata') {
      try {
        f.metadata = parseDictFilter(value, key);
      } catch {
        return null; // not a dict: Cinder's db layer answers with no rows
      }
      continue;
    }
    if ((VOLUME_FILTERS as readonly string[]).includes(key)) {
      f.volume![key as (typeof VOLUME_FILTERS)[number]] = value;
      continue;
    }
    const like = key.endsWith('~') && version.gte('3.34');
    const col = like ? key.replace(/~+$/, '') : key;
    if (ALWAYS_NULL.includes(col)) return null;
    if (!(COLUMNS as readonly string[]).includes(col)) return null;
    const column = col as (typeof COLUMNS)[number];
    if (like) f.like![column] = value;
    else f.columns![column] = column === 'use_quota' || column === 'volume_size' ? Number(value) : value;
  }
  return f;
}
