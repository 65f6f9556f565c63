import type { APIVersion } from '../microversion.js';
import type { VolumeRecord } from '../../db/api/volumes.js';
import { resourceLinks, type LinkBase } from '../common/links.js';
import { volumeAttachmentsView } from './attachments.js';

/** How the volume is being shown: create/update answers omit the show-only extension fields. */
export interface VolumeViewOptions {
  version: APIVersion;
  isAdmin: boolean;
  links: LinkBase;
  /** GET show/detail: adds `os-vol-host-attr:host`, tenant and migration attributes. */
  extended: boolean;
  /**
   * Whether the caller may see image metadata (policy `volume_extension:volume_image_metadata:show`):
   * then show/detail add `volume_image_metadata` to volumes that have some.
   */
  imageMetadata?: boolean;
  /** Consistency groups among the volumes' groups: shown as their `consistencygroup_id` too. */
  consistencyGroups?: ReadonlySet<string>;
}

const STATUS_VIEW: Record<string, string> = {
  managing: 'creating',
  error_managing: 'error',
  error_managing_deleting: 'deleting',
};

/** `{id, name, links}` (list summary). */
export function volumeSummaryView(v: VolumeRecord, links: LinkBase): Record<string, unknown> {
  return { id: v.id, name: v.display_name, links: resourceLinks(links, 'volumes', v.id) };
}

/** The detail view (Cinder's `api/v3/views/volumes.py` `ViewBuilder.detail`), per microversion and role. */
export function volumeDetailView(v: VolumeRecord, o: VolumeViewOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: v.id,
    status: STATUS_VIEW[v.status] ?? v.status,
    size: v.size,
    availability_zone: v.availability_zone,
    created_at: v.created_at,
    updated_at: v.updated_at,
    attachments: volumeAttachmentsView(v.volume_attachment ?? [], o.isAdmin),
    name: v.display_name,
    description: v.display_description,
    volume_type: o.version.gte('3.63') ? v.volume_type_name : (v.volume_type_name ?? v.volume_type_id),
    snapshot_id: v.snapshot_id,
    source_volid: v.source_volid,
    // As Cinder's add_visible_admin_metadata: `readonly`/`attached_mode` shown among the metadata.
    metadata: v.visible_admin_metadata ? { ...v.metadata, ...v.visible_admin_metadata } : v.metadata,
    links: resourceLinks(o.links, 'volumes', v.id),
    user_id: v.user_id,
    bootable: v.bootable ? 'true' : 'false',
    encrypted: v.encryption_key_id !== null,
    replication_status: v.replication_status,
    consistencygroup_id:
      v.group_id && o.consistencyGroups?.has(v.group_id) ? v.group_id : v.consistencygroup_id,
    multiattach: v.multiattach === 1,
  };
  if (o.isAdmin) out.migration_status = v.migration_status;
  if (o.version.gte('3.13')) out.group_id = v.group_id;
  if (o.version.gte('3.21') && o.isAdmin) out.provider_id = v.provider_id;
  if (o.version.gte('3.48')) {
    out.shared_targets =
      v.shared_targets === null ? (o.version.gte('3.69') ? null : true) : v.shared_targets === 1;
    out.service_uuid = v.service_uuid;
  }
  if (o.version.gte('3.61') && o.isAdmin) out.cluster_name = v.cluster_name;
  if (o.version.gte('3.63')) out.volume_type_id = v.volume_type_id;
  if (o.version.gte('3.64') && v.encryption_key_id) out.encryption_key_id = v.encryption_key_id;
  if (o.version.gte('3.65')) out.consumes_quota = v.use_quota === 1;
  if (o.extended) {
    if (o.isAdmin) out['os-vol-host-attr:host'] = v.host;
    out['os-vol-tenant-attr:tenant_id'] = v.project_id;
    if (o.isAdmin) {
      out['os-vol-mig-status-attr:migstat'] = v.migration_status;
      out['os-vol-mig-status-attr:name_id'] = null;
    }
    // Cinder's VolumeImageMetadataController extension of show and detail.
    if (o.imageMetadata && v.glance_metadata && Object.keys(v.glance_metadata).length > 0)
      out.volume_image_metadata = { ...v.glance_metadata };
  }
  return out;
}
