/**
 * The manager flow's half of Cinder's `_handle_bootable_volume_glance_meta`: a volume made from a
 * bootable snapshot's volume or cloned from a bootable volume gets that source's image metadata
 * (the snapshot's copy, or the source volume's). Image creates write theirs themselves
 * (`volumeGlanceMetadataBulkCreate`).
 */
import type { Db } from '../db/api/common.js';
import {
  volumeGlanceMetadataCopyFromVolumeToVolume,
  volumeGlanceMetadataCopyToVolume,
} from '../db/api/glance-metadata.js';

/** The create's source, as the manager flow's `volume_spec` names it. */
interface SourceSpec {
  readonly type: string;
  readonly snapshot_id?: string | null;
  readonly source_volid?: string | null;
}

/**
 * Copies the image metadata of the create's source onto `volumeId`; call it when the source is
 * bootable. A source without image metadata copies nothing (Cinder ignores its
 * `GlanceMetadataNotFound`). Returns how many keys were copied.
 */
export async function copyImageMetadataFromSource(
  db: Db,
  volumeId: string,
  spec: SourceSpec,
): Promise<number> {
  if (spec.type === 'snap' && spec.snapshot_id)
    return volumeGlanceMetadataCopyToVolume(db, volumeId, spec.snapshot_id);
  if (spec.type === 'source_vol' && spec.source_volid)
    return volumeGlanceMetadataCopyFromVolumeToVolume(db, spec.source_volid, volumeId);
  return 0;
}
