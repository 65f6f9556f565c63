import type { RequestContext } from '../../common/context.js';
import { BadRequest } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { VolumeFilters } from '../../db/api/volumes.js';
import type { VolumesTable } from '../../db/schema.js';
import type { APIVersion } from '../microversion.js';
import type { SortKeyMap } from '../common/pagination.js';

/** Sort keys accepted on volume lists, mapped to columns. */
export const VOLUME_SORT_KEYS: SortKeyMap = {
  id: 'id',
  name: 'display_name',
  display_name: 'display_name',
  status: 'status',
  size: 'size',
  created_at: 'created_at',
  updated_at: 'updated_at',
  availability_zone: 'availability_zone',
  bootable: 'bootable',
  project_id: 'project_id',
  user_id: 'user_id',
  volume_type_id: 'volume_type_id',
  host: 'host',
  description: 'display_description',
};

/** Query key → column, for plain equality filters (`name` → `display_name`, …). */
const COLUMN_FILTERS: Record<string, keyof VolumesTable> = {
  name: 'display_name',
  display_name: 'display_name',
  description: 'display_description',
  status: 'status',
  availability_zone: 'availability_zone',
  size: 'size',
  migration_status: 'migration_status',
  group_id: 'group_id',
  user_id: 'user_id',
  host: 'host',
  volume_type_id: 'volume_type_id',
  id: 'id',
};

/** Parses Cinder's `metadata` filter: a Python-literal dict such as `{'k': 'v'}` (or JSON). */
export function parseDictFilter(raw: string, key: string): Record<string, string> {
  const attempts = [raw, raw.replace(/'/g, '"')];
  for (const text of attempts) {
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(
          Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]),
        );
      }
    } catch {
      // try the next form
    }
  }
  throw new BadRequest(`Invalid filter value for ${key}: ${raw}`);
}

/**
 * Turns what is left of the query (after pagination keys) into list filters. Admins see every
 * project with `all_tenants`; everyone else sees their own project only.
 */
export function volumeFiltersFromQuery(
  query: Record<string, string>,
  ctx: RequestContext,
  version: APIVersion,
): VolumeFilters {
  const q = { ...query };
  const allTenants = ctx.isAdmin && 'all_tenants' in q && boolFromString(q.all_tenants ?? 'true');
  delete q.all_tenants;
  delete q.with_count;
  const filters: VolumeFilters = { columns: {}, like: {} };
  if (!allTenants) filters.project_id = ctx.projectId;
  else if (q.project_id) filters.project_id = q.project_id;
  delete q.project_id;
  delete q.tenant_id;
  for (const [key, value] of Object.entries(q)) {
    if (key.length && !/^[\x20-\x7e]+$/.test(key))
      throw new BadRequest('Filter keys can only contain ASCII characters.');
    if (key === 'metadata') {
      filters.metadata = parseDictFilter(value, key);
    } else if (key === 'bootable') {
      const b = version.gte('3.2') ? boolFromString(value, true) : boolFromString(value);
      filters.columns!.bootable = b ? 1 : 0;
    } else if (key.endsWith('~') && version.gte('3.34')) {
      const col = COLUMN_FILTERS[key.slice(0, -1)];
      if (col) filters.like![col] = value;
    } else if (key === 'consumes_quota' && version.gte('3.65')) {
      filters.columns!.use_quota = boolFromString(value) ? 1 : 0;
    } else if (COLUMN_FILTERS[key]) {
      const col = COLUMN_FILTERS[key];
      filters.columns![col] = col === 'size' ? Number(value) : value;
    }
    // NOTE: other keys are ignored, as Cinder ignores unknown filters for admins below 3.31.
  }
  return filters;
}
