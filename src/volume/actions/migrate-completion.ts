/**
 * `os-migrate_volume_completion` (admin, Cinder's `volume/api.py` `migrate_volume_completion`): the
 * call a generic (host-assisted) migration's caller makes to swap the new volume in. Kindling's
 * migrations move the data themselves and never leave a `target:<id>` volume, so only the
 * answers that need no such volume are given; the swap itself is not offered.
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidVolume, NotImplementedYet } from '../../common/errors.js';
import type { VolumeRecord } from '../../db/api/volumes.js';

/** Returns the id of the volume to keep (`save_volume_id`); the new volume is loaded once allowed. */
export async function migrateVolumeCompletion(
  ctx: RequestContext,
  v: VolumeRecord,
  loadNewVolume: () => Promise<VolumeRecord>,
): Promise<string> {
  authorize(ctx, 'volume_extension:volume_admin_actions:migrate_volume_completion', v.project_id);
  const newVolume = await loadNewVolume();
  // NOTE: with neither volume migrating, Cinder re-attaches the source's attachments to the new
  // volume (there are none yet) and keeps the new one.
  if (!v.migration_status && !newVolume.migration_status) return newVolume.id;
  if (!v.migration_status) throw new InvalidVolume('Source volume not mid-migration.');
  if (!newVolume.migration_status) throw new InvalidVolume('Destination volume not mid-migration.');
  const expected = `target:${v.id}`;
  if (newVolume.migration_status !== expected)
    throw new InvalidVolume(
      `Destination has migration_status ${newVolume.migration_status}, expected ${expected}.`,
    );
  throw new NotImplementedYet('Completing a host-assisted volume migration is not supported by Kindling.');
}
