/**
 * Volume type views (Cinder's `api/v3/views/types.py`, the older `api/views/types.py` used by the
 * create/update answers, and the `os-volume-type-access:is_public` extension key).
 */
import type { RequestContext } from '../../common/context.js';
import { isAllowed } from '../../auth/policy.js';
import type { VolumeTypeRecord } from '../../db/api/volume-types.js';

/** Extra specs a caller without `read_sensitive` may see. */
export const USER_VISIBLE_EXTRA_SPECS: readonly string[] = [
  'RESKEY:availability_zones',
  'multiattach',
  'replication_enabled',
];

/** The extra specs the caller may read: all of them, or only the user-visible ones. */
export function visibleExtraSpecs(
  ctx: RequestContext,
  specs: Readonly<Record<string, string>>,
): Record<string, string> {
  if (isAllowed(ctx, 'volume_extension:types_extra_specs:read_sensitive')) return { ...specs };
  const out: Record<string, string> = {};
  for (const k of USER_VISIBLE_EXTRA_SPECS) if (k in specs) out[k] = specs[k]!;
  return out;
}

/** GET show/list entry: `{id, name, is_public, description, extra_specs?, qos_specs_id?}`. */
export function volumeTypeView(ctx: RequestContext, t: VolumeTypeRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: t.is_public,
    description: t.description,
  };
  if (isAllowed(ctx, 'volume_extension:access_types_extra_specs'))
    out.extra_specs = visibleExtraSpecs(ctx, t.extra_specs);
  if (isAllowed(ctx, 'volume_extension:access_types_qos_specs_id')) out.qos_specs_id = t.qos_specs_id;
  return out;
}

/** Create/update answer (Cinder's older view): `{id, name, is_public, extra_specs, description}`. */
export function volumeTypeManageView(t: VolumeTypeRecord): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    is_public: t.is_public,
    extra_specs: { ...t.extra_specs },
    description: t.description,
  };
}

/** Adds `os-volume-type-access:is_public` when the caller may see type access. */
export function withTypeAccess(
  ctx: RequestContext,
  view: Record<string, unknown>,
  t: VolumeTypeRecord,
): Record<string, unknown> {
  if (isAllowed(ctx, 'volume_extension:volume_type_access'))
    view['os-volume-type-access:is_public'] = t.is_public;
  return view;
}

/** `GET /types/{id}/os-volume-type-access`: one entry per project with access. */
export function typeAccessView(
  rows: readonly { volume_type_id: string; project_id: string }[],
): Record<string, unknown> {
  return {
    volume_type_access: rows.map((r) => ({ volume_type_id: r.volume_type_id, project_id: r.project_id })),
  };
}
