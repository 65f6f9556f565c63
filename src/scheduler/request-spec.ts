import type { Db } from '../db/api/common.js';
import { snapshotVolumeIdGet } from '../db/api/snapshots.js';
import { type VolumeRecord } from '../db/api/volumes.js';
import { volumeBackendGet } from '../db/api/volume-service-queries.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import type { RequestSpec } from './types.js';

/**
 * A request spec rebuilt from the volume row (Cinder's `ExtractSchedulerSpecTask` fallback), for
 * requests that arrive without one: old callers, resumed creates, re-placed volumes.
 */
export async function requestSpecFromVolume(db: Db, v: VolumeRecord): Promise<RequestSpec> {
  const t = await volumeTypeGet(db, v.volume_type_id, true);
  return {
    volume_id: v.id,
    resource_backend: await sourceBackend(db, v),
    snapshot_id: v.snapshot_id,
    source_volid: v.source_volid,
    backup_id: v.backup_id,
    image_id: null,
    volume_properties: {
      size: v.size,
      availability_zone: v.availability_zone,
      volume_type_id: v.volume_type_id,
    },
    volume_type: t ? { id: t.id, name: t.name, extra_specs: t.extra_specs } : null,
  };
}

/**
 * Where a clone or a volume from a snapshot must be made: its source volume's (or the snapshot's
 * volume's) `cluster_name` or `host`, as the api flow first set `resource_backend`.
 */
async function sourceBackend(db: Db, v: VolumeRecord): Promise<string | null> {
  let sourceId = v.source_volid;
  if (!sourceId && v.snapshot_id) {
    sourceId = await snapshotVolumeIdGet(db, v.snapshot_id);
  }
  if (!sourceId) return null;
  const src = await volumeBackendGet(db, sourceId);
  return src ? src.cluster_name || src.host : null;
}
