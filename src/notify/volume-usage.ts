import type { VolumeRecord } from '../db/api/volumes.js';

/** The payload of `volume.*` notifications (Cinder's `_usage_from_volume`). */
export function volumeUsagePayload(v: VolumeRecord): Record<string, unknown> {
  return {
    tenant_id: v.project_id,
    host: v.host,
    user_id: v.user_id,
    availability_zone: v.availability_zone,
    volume_id: v.id,
    volume_type: v.volume_type_id,
    display_name: v.display_name,
    launched_at: v.launched_at,
    created_at: v.created_at,
    status: v.status,
    snapshot_id: v.snapshot_id,
    size: v.size,
    replication_status: v.replication_status,
    replication_extended_status: null,
    replication_driver_data: null,
    metadata: v.metadata,
    // Cinder sends the attachment objects; their columns, without the secrets of connection_info.
    volume_attachment: (v.volume_attachment ?? []).map((a) => ({
      id: a.id,
      volume_id: a.volume_id,
      instance_uuid: a.instance_uuid,
      attached_host: a.attached_host,
      mountpoint: a.mountpoint,
      attach_time: a.attach_time,
      detach_time: a.detach_time,
      attach_status: a.attach_status,
      attach_mode: a.attach_mode,
    })),
  };
}
