/**
 * What a backup keeps of its volume besides the bytes (Cinder's `BackupMetadataAPI`, in our
 * words): at backup time a JSON container with the volume's row (`volume-base-metadata`), its
 * user metadata (`volume-metadata`) and its image metadata (`volume-glance-metadata`), each of the
 * last two only when there is some, stored by the driver as the backup's `volume_meta`; at
 * restore time the user metadata replaces the target's, the image metadata replaces the target's
 * and makes it bootable, and the name and description come back when the target was made by the
 * restore itself (`restore_backup_<id>`) or has none.
 * Versions 1 and 2 of the container are read, so backups made by Cinder restore here too, and
 * Cinder restores Kindling's.
 */
import { BackupOperationError } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import { volumeGet, volumeMetadataUpdate, volumeUpdate, type VolumeRecord } from '../db/api/volumes.js';
import { volumeGlanceMetadataReplace } from '../db/api/glance-metadata.js';

/** Cinder's `backup_metadata_version` default. */
export const BACKUP_METADATA_VERSION = 2;

const BASE = 'volume-base-metadata';
const USER = 'volume-metadata';
const GLANCE = 'volume-glance-metadata';

interface MetaContainer {
  version: number;
  [BASE]?: Record<string, unknown>;
  [USER]?: Record<string, unknown>;
  [GLANCE]?: Record<string, unknown>;
}

/** The JSON container for `volume_meta` of the volume being backed up. */
export function backupVolumeMeta(volume: VolumeRecord): string {
  const container: MetaContainer = { version: BACKUP_METADATA_VERSION, [BASE]: baseColumns(volume) };
  if (Object.keys(volume.metadata).length > 0) container[USER] = { ...volume.metadata };
  const glance = volume.glance_metadata ?? {};
  if (Object.keys(glance).length > 0) container[GLANCE] = { ...glance };
  return JSON.stringify(container);
}

/** The row's own columns (as Cinder's `volume_get` row): what is read beside them is not the volume's. */
function baseColumns(volume: VolumeRecord): Record<string, unknown> {
  const {
    metadata: _m,
    visible_admin_metadata: _a,
    volume_type_name: _t,
    volume_attachment: _va,
    glance_metadata: _g,
    ...row
  } = volume;
  return row;
}

/**
 * Puts a backup's `volume_meta` on the volume it was restored into. An unknown container version
 * is a `BackupOperationError` (the restore fails), as in Cinder.
 */
export async function restoreVolumeMeta(db: Db, volumeId: string, json: string): Promise<void> {
  let container: MetaContainer;
  try {
    container = JSON.parse(json) as MetaContainer;
  } catch {
    throw new BackupOperationError('Metadata restore failed: the backup holds unreadable volume metadata.');
  }
  if (container.version !== 1 && container.version !== 2)
    throw new BackupOperationError('Metadata restore failed due to incompatible version.');
  const base = container[BASE];
  if (base) await restoreNameAndDescription(db, volumeId, base);
  const user = container[USER];
  if (user) await volumeMetadataUpdate(db, volumeId, stringValues(user), true);
  // `_restore_vol_glance_meta`: whenever the container has the key, the target's image metadata
  // becomes the kept one and the target is marked bootable.
  const glance = container[GLANCE];
  if (glance && typeof glance === 'object') {
    await volumeGlanceMetadataReplace(db, volumeId, stringValues(glance));
    await volumeUpdate(db, volumeId, { bootable: 1 });
  }
}

/** `_restore_vol_base_meta`: name and description, only onto a restore-made or unnamed volume. */
async function restoreNameAndDescription(
  db: Db,
  volumeId: string,
  base: Record<string, unknown>,
): Promise<void> {
  const target = await volumeGet(db, volumeId);
  if (!target) return;
  const name = typeof base.display_name === 'string' ? base.display_name : null;
  const current = target.display_name ?? '';
  if (!name || (current !== '' && !current.startsWith('restore_backup_'))) return;
  const description = base.display_description;
  await volumeUpdate(db, volumeId, {
    display_name: name,
    ...('display_description' in base
      ? { display_description: typeof description === 'string' ? description : null }
      : {}),
  });
}

function stringValues(meta: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(meta).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}
