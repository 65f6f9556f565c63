import type { RequestContext } from '../../common/context.js';
import { BadRequest } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { TimeComparison, VolumeFilters } from '../../db/api/volumes.js';
import type { VolumesTable } from '../../db/schema.js';
import type { APIVersion } from '../microversion.js';
import type { SortKeyMap } from '../common/pagination.js';
import {
  rejectInvalidFilters,
  removeInvalidFilterOptions,
  type ResourceFiltersFile,
} from '../resource-filters.js';
import { getBoolParam, isAscii } from './query-params.js';
import { parseIsoTimeUtc } from '../validation/iso8601.js';

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

/** `key~` → column, for like filters (3.34+; `name~`/`description~` arrive as `display_…~`). */
const LIKE_FILTERS: Record<string, keyof VolumesTable> = {
  ...COLUMN_FILTERS,
  display_description: 'display_description',
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
 * Cinder's `glance_metadata` filter value (`ast.literal_eval` of it): a dict of strings or numbers,
 * JSON or Python-quoted; anything else (not a dict, `true`/`null` values Python cannot read) is
 * null, which matches no volume, as Cinder's query does then.
 */
export function parseGlanceMetadataFilter(raw: string): Record<string, string> | null {
  for (const text of [raw, raw.replace(/'/g, '"')]) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      continue;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x !== 'string' && typeof x !== 'number') return null;
      out[k] = String(x);
    }
    return out;
  }
  return null;
}

/** Cinder's `get_time_comparison_operators`. */
const TIME_OPERATORS: readonly TimeComparison[] = ['gt', 'gte', 'eq', 'neq', 'lt', 'lte'];

/**
 * Cinder's `_handle_time_comparison_filters` for one key: `op:time[,op:time…]` (the time may hold
 * colons), each operator one of {@link TIME_OPERATORS}, each time ISO 8601; a repeated operator keeps
 * its last time. 400 `Invalid <op> operator` / `Invalid <time> value` otherwise.
 */
function timeComparisons(value: string): { op: TimeComparison; value: string }[] {
  const byOp = new Map<TimeComparison, string>();
  for (const unit of value.split(',')) {
    const parts = unit.split(':');
    const op = parts[0]!;
    const time = parts.length > 1 ? parts.slice(1).join(':') : parts[0]!;
    if (!(TIME_OPERATORS as readonly string[]).includes(op)) throw new BadRequest(`Invalid ${op} operator`);
    const parsed = parseIsoTimeUtc(time);
    if (parsed === null) throw new BadRequest(`Invalid ${time} value`);
    byOp.set(op as TimeComparison, parsed);
  }
  return [...byOp].map(([op, v]) => ({ op, value: v }));
}

/** Filters added by a microversion: below it Cinder drops them (its `MV_ADDED_FILTERS`). */
const MV_ADDED_FILTERS: readonly (readonly [string, string])[] = [
  ['3.4', 'glance_metadata'],
  ['3.10', 'group_id'],
  ['3.60', 'created_at'],
  ['3.60', 'updated_at'],
  ['3.65', 'use_quota'],
];

/** Cinder's `ATTRIBUTE_CONVERTERS`, applied from 3.31. */
const CONVERTERS: readonly (readonly [string, string])[] = [
  ['name~', 'display_name~'],
  ['description~', 'display_description~'],
  ['consumes_quota', 'use_quota'],
];

/**
 * Turns what is left of the query (after pagination keys) into list filters. Admins see every
 * project with `all_tenants`; everyone else sees their own project only.
 *
 * Which keys a non-admin may use comes from the resource filters file's `volume` entry (`file`):
 * from 3.31 any other key is refused (Cinder's `process_general_filtering('volume')`), before 3.31
 * it is dropped, and on the summary (`summary`) it is always dropped, as Cinder's controller does.
 */
export function volumeFiltersFromQuery(
  query: Record<string, string>,
  ctx: RequestContext,
  version: APIVersion,
  file: ResourceFiltersFile,
  summary = false,
): VolumeFilters {
  const q = { ...query };
  if (summary) {
    removeInvalidFilterOptions(ctx, q, file.allowed('volume'));
  } else {
    if (version.gte('3.45')) delete q.with_count;
    if (version.gte('3.31')) {
      rejectInvalidFilters(ctx, q, 'volume', version.gte('3.34'), file);
      for (const [from, to] of CONVERTERS) {
        if (from in q) {
          q[to] = q[from]!;
          delete q[from];
        }
      }
    } else {
      for (const [since, key] of MV_ADDED_FILTERS) if (!version.gte(since)) delete q[key];
      removeInvalidFilterOptions(ctx, q, file.allowed('volume'));
    }
  }
  const allTenants = ctx.isAdmin && 'all_tenants' in q && boolFromString(q.all_tenants ?? 'true');
  delete q.all_tenants;
  const filters: VolumeFilters = { columns: {}, like: {} };
  if (!allTenants) filters.project_id = ctx.projectId;
  else if (q.project_id) filters.project_id = q.project_id;
  delete q.project_id;
  delete q.tenant_id;
  for (const [key, value] of Object.entries(q)) {
    if (!isAscii(key)) throw new BadRequest('Filter keys can only contain ASCII characters.');
    if (key === 'metadata') {
      filters.metadata = parseDictFilter(value, key);
    } else if (key === 'glance_metadata') {
      filters.glance_metadata = parseGlanceMetadataFilter(value);
    } else if (key === 'bootable') {
      const b = version.gte('3.2') ? boolFromString(value, true) : boolFromString(value);
      filters.columns!.bootable = b ? 1 : 0;
    } else if (key.endsWith('~') && version.gte('3.34')) {
      const name = key.slice(0, -1);
      const col = Object.hasOwn(LIKE_FILTERS, name) ? LIKE_FILTERS[name] : undefined;
      if (col) filters.like![col] = value;
    } else if ((key === 'created_at' || key === 'updated_at') && !summary) {
      (filters.times ??= {})[key] = timeComparisons(value);
    } else if (key === 'use_quota') {
      filters.columns!.use_quota = getBoolParam('use_quota', q) ? 1 : 0;
    } else if (Object.hasOwn(COLUMN_FILTERS, key)) {
      const col = COLUMN_FILTERS[key]!;
      filters.columns![col] = col === 'size' ? Number(value) : value;
    }
    // NOTE: other keys are ignored, as Cinder ignores unknown filters for admins below 3.31.
  }
  return filters;
}
