/**
 * Query filters and sort keys of backup lists (Cinder's `BackupsController._get_backups` with
 * `process_general_filtering('backup')`, `backup_api.get_all` and the db layer's
 * `_process_backups_filters`).
 */
import type { RequestContext } from '../../common/context.js';
import { InvalidParameterValue } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { BackupFilters } from '../../db/api/backups.js';
import type { BackupsTable } from '../../db/schema.js';
import type { APIVersion } from '../microversion.js';
import type { SortKeyMap } from '../common/pagination.js';
import { columnSortKeys } from './list-params.js';
import { rejectInvalidFilters, type ResourceFiltersFile } from '../resource-filters.js';

/** Columns of Cinder's Backup model (all stored by Kindling). */
const COLUMNS = [
  'id',
  'volume_id',
  'user_id',
  'project_id',
  'host',
  'availability_zone',
  'display_name',
  'display_description',
  'container',
  'status',
  'fail_reason',
  'service_metadata',
  'service',
  'size',
  'object_count',
  'parent_id',
  'temp_volume_id',
  'temp_snapshot_id',
  'num_dependent_backups',
  'snapshot_id',
  'data_timestamp',
  'restore_volume_id',
  'encryption_key_id',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
] as const satisfies readonly (keyof BackupsTable)[];

const NUMERIC = new Set(['size', 'object_count', 'num_dependent_backups', 'deleted']);

/** Filters a non-admin may use before 3.31 (Cinder's `_get_backup_filter_options`); from 3.31 the
 * resource filters file's `backup` entry decides. */
const LEGACY_USER_FILTERS = ['name', 'status', 'volume_id'];

const BOOL_WORDS = new Set(['1', 't', 'true', 'on', 'y', 'yes', '0', 'f', 'false', 'off', 'n', 'no']);

/** Sort keys: the model's columns, plus `name` for `display_name` from 3.37. */
export function backupSortKeys(version: APIVersion): SortKeyMap {
  const keys: Record<string, string> = { ...columnSortKeys(COLUMNS) };
  if (version.gte('3.37')) keys.name = 'display_name';
  return keys;
}

/**
 * Turns what is left of the query (pagination keys already taken) into list filters; null when a
 * filter can match nothing (Cinder answers those with an empty list). Errors are Cinder's 400s.
 */
export function backupFiltersFromQuery(
  query: Record<string, string>,
  ctx: RequestContext,
  version: APIVersion,
  file: ResourceFiltersFile,
): BackupFilters | null {
  const q = { ...query };
  if (version.gte('3.31')) {
    rejectInvalidFilters(ctx, q, 'backup', version.gte('3.34'), file);
    // NOTE: cinderclient always sends all_tenants; a non-admin's is dropped, not refused.
    if (!ctx.isAdmin) delete q.all_tenants;
    for (const [from, to] of [
      ['name~', 'display_name~'],
      ['description~', 'display_description~'],
    ] as const) {
      if (from in q) {
        q[to] = q[from]!;
        delete q[from];
      }
    }
  } else if (!ctx.isAdmin) {
    for (const k of Object.keys(q)) if (!LEGACY_USER_FILTERS.includes(k)) delete q[k];
  }
  if ('name' in q) {
    q.display_name = q.name!;
    delete q.name;
  }
  const allTenantsText = q.all_tenants ?? '0';
  delete q.all_tenants;
  if (!BOOL_WORDS.has(allTenantsText.trim().toLowerCase()))
    throw new InvalidParameterValue(`all_tenants must be a boolean, got '${allTenantsText}'.`);
  const allTenants = boolFromString(allTenantsText);

  const f: BackupFilters = { columns: {}, like: {} };
  if (!(ctx.isAdmin && allTenants)) f.project_id = ctx.projectId;
  for (const [key, value] of Object.entries(q)) {
    const like = key.endsWith('~') && version.gte('3.34');
    const col = like ? key.replace(/~+$/, '') : key;
    if (!(COLUMNS as readonly string[]).includes(col)) return null;
    const column = col as (typeof COLUMNS)[number];
    if (like) f.like![column] = value;
    else f.columns![column] = NUMERIC.has(column) ? Number(value) : value;
  }
  return f;
}
