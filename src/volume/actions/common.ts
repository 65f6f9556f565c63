/**
 * What the API side of the volume actions shares: its dependencies, Cinder's migration-status
 * guard, the type size limits, and giving a volume its status back after a failed request.
 */
import type { CoreDeps } from '../../common/deps.js';
import { InvalidInput } from '../../common/errors.js';
import { isIntLike } from '../../common/strutils.js';
import type { VolumeAPI } from '../api.js';
import { volumeConditionalUpdate } from '../../db/api/volumes.js';
import type { VolumesTable } from '../../db/schema.js';
import type { VolumeRPCAPI } from '../rpcapi.js';

/** The API-side actions' dependencies. */
export interface ActionDeps {
  readonly core: CoreDeps;
  readonly volumes: VolumeAPI;
  readonly rpc: VolumeRPCAPI;
}

/** Migration statuses that let another operation start (Cinder's `AVAILABLE_MIGRATION_STATUS`). */
export const AVAILABLE_MIGRATION_STATUS: readonly (string | null)[] = [null, 'deleting', 'error', 'success'];

/** Cinder's `provision_filter_on_size`: `size` within the type's `provisioning:min/max_vol_size`. */
export function checkTypeSizeLimits(
  size: number,
  type: { name: string; extra_specs: Readonly<Record<string, string>> } | null,
): void {
  if (!type) return;
  const min = type.extra_specs['provisioning:min_vol_size'];
  const max = type.extra_specs['provisioning:max_vol_size'];
  if (min && isIntLike(min) && size < Number(min))
    throw new InvalidInput(
      `Specified volume size of '${size}' is less than the minimum required size of '${min}' for volume type '${type.name}'.`,
    );
  if (max && isIntLike(max) && size > Number(max))
    throw new InvalidInput(
      `Specified volume size of '${size}' is greater than the maximum allowable size of '${max}' for volume type '${type.name}'.`,
    );
}

/**
 * Puts back the columns a request's compare-and-swap changed, if they still hold what it set
 * (a later change by someone else is left alone). Returns whether it did.
 */
export async function undoSwap(
  core: CoreDeps,
  volumeId: string,
  before: Partial<VolumesTable>,
  after: Partial<VolumesTable>,
): Promise<boolean> {
  const expected: Partial<Record<keyof VolumesTable, (string | number | null)[]>> = {};
  for (const [k, v] of Object.entries(after) as [keyof VolumesTable, string | number | null][])
    expected[k] = [v];
  return volumeConditionalUpdate(core.dbh.db, volumeId, before, expected);
}
