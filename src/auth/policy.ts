import type { RequestContext } from '../common/context.js';
import { PolicyNotAuthorized } from '../common/errors.js';

/**
 * Cinder's default policy rules for the routes served so far, as data. `admin` = admin API;
 * `owner` = admin or a user of the resource's project; `reader` = same for reads; `none` = open.
 * (Operator overrides from policy.yaml come with the Keystone issue.)
 */
export const DEFAULT_RULES: Record<string, 'admin' | 'owner' | 'reader' | 'none'> = {
  'volume:create': 'owner',
  'volume:create_from_image': 'owner',
  'volume:get': 'reader',
  'volume:get_all': 'reader',
  'volume:update': 'owner',
  'volume:delete': 'owner',
  'volume:force_delete': 'admin',
  'volume:multiattach': 'owner',
  'volume:get_volume_metadata': 'reader',
  'volume:create_volume_metadata': 'owner',
  'volume:update_volume_metadata': 'owner',
  'volume:delete_volume_metadata': 'owner',
  'volume_extension:types_manage': 'admin',
  'volume_extension:types_extra_specs:index': 'reader',
  'volume_extension:types_extra_specs:show': 'reader',
  'volume_extension:types_extra_specs:create': 'admin',
  'volume_extension:types_extra_specs:update': 'admin',
  'volume_extension:types_extra_specs:delete': 'admin',
  'volume_extension:type_create': 'admin',
  'volume_extension:type_update': 'admin',
  'volume_extension:type_delete': 'admin',
  'volume_extension:access_types_extra_specs': 'reader',
  'volume_extension:access_types_qos_specs_id': 'admin',
  'volume_extension:types_extra_specs:read_sensitive': 'admin',
  'volume_extension:volume_type_access': 'owner',
  'volume_extension:type_get': 'reader',
  'volume_extension:type_get_all': 'reader',
  'volume_extension:quotas:show': 'reader',
  'volume_extension:quotas:update': 'admin',
  'volume_extension:quotas:delete': 'admin',
  'volume_extension:services:index': 'admin',
  'volume_extension:services:update': 'admin',
  'scheduler_extension:scheduler_stats:get_pools': 'admin',
  'message:get': 'reader',
  'message:get_all': 'reader',
  'message:delete': 'owner',
  'limits_extension:used_limits': 'reader',
};

/** Whether `ctx` may do `action` on a resource of `targetProjectId`. */
export function isAllowed(ctx: RequestContext, action: string, targetProjectId?: string | null): boolean {
  const rule = DEFAULT_RULES[action] ?? 'admin';
  if (rule === 'none' || ctx.isAdmin) return true;
  if (rule === 'admin') return false;
  return targetProjectId === undefined || targetProjectId === null || targetProjectId === ctx.projectId;
}

/** Throws 403 `Policy doesn't allow <action> to be performed.` when not allowed. */
export function authorize(ctx: RequestContext, action: string, targetProjectId?: string | null): void {
  if (!isAllowed(ctx, action, targetProjectId)) throw new PolicyNotAuthorized(action);
}
