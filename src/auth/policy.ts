import type { RequestContext } from '../common/context.js';
import { PolicyNotAuthorized } from '../common/errors.js';
import { currentPolicyEnforcer } from './policy-enforcer.js';

/**
 * Cinder's default policy rules for the routes served so far, as data. `admin` = admin API;
 * `owner` = admin or a user of the resource's project; `reader` = same for reads; `none` = open.
 * Each level stands for an oslo check string (`LEVEL_CHECKS` in policy-enforcer.ts); a name in
 * Cinder Zed's own table (cinder-policy.ts) is enforced with Cinder's check string, and the
 * operator's policy.yaml overrides either (policy-config.ts).
 */
export const DEFAULT_RULES: Record<string, 'admin' | 'owner' | 'reader' | 'none'> = {
  'volume:create': 'owner',
  'volume:create_from_image': 'owner',
  'volume:get': 'reader',
  'volume:get_all': 'reader',
  // Kindling's own: a volume's flow traces (GET /volumes/{id}/trace).
  'volume:get_trace': 'admin',
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
  'volume_extension:quota_classes:get': 'admin',
  'volume_extension:quota_classes:update': 'admin',
  'volume:create_transfer': 'owner',
  'volume:accept_transfer': 'none',
  'volume:delete_transfer': 'owner',
  'volume:get_transfer': 'reader',
  'volume:get_all_transfers': 'reader',
  'volume:create_snapshot': 'owner',
  'volume:get_snapshot': 'reader',
  'volume:get_all_snapshots': 'reader',
  'volume:update_snapshot': 'owner',
  'volume:delete_snapshot': 'owner',
  'volume_extension:extended_snapshot_attributes': 'reader',
  'volume:get_snapshot_metadata': 'reader',
  'volume:update_snapshot_metadata': 'owner',
  'volume:delete_snapshot_metadata': 'owner',
  'snapshot_extension:snapshot_actions:update_snapshot_status': 'owner',
  'volume_extension:snapshot_admin_actions:reset_status': 'admin',
  'volume_extension:snapshot_admin_actions:force_delete': 'admin',
  'volume:extend': 'owner',
  'volume:extend_attached_volume': 'owner',
  'volume:revert_to_snapshot': 'owner',
  'volume:retype': 'owner',
  'volume:update_readonly_flag': 'owner',
  'volume_extension:volume_admin_actions:reset_status': 'admin',
  'volume_extension:volume_admin_actions:force_delete': 'admin',
  'volume_extension:volume_admin_actions:migrate_volume': 'admin',
  'volume_extension:volume_admin_actions:migrate_volume_completion': 'admin',
  // Backups (src/backup/).
  'backup:create': 'owner',
  'backup:get': 'reader',
  'backup:get_all': 'reader',
  'backup:update': 'owner',
  'backup:delete': 'owner',
  'backup:restore': 'owner',
  'backup:backup-import': 'admin',
  'backup:export-import': 'admin',
  'backup:backup_project_attribute': 'admin',
  'volume_extension:backup_admin_actions:reset_status': 'admin',
  'volume_extension:backup_admin_actions:force_delete': 'admin',
};

/** Whether `ctx` may do `action` on a resource of `targetProjectId`. */
export function isAllowed(ctx: RequestContext, action: string, targetProjectId?: string | null): boolean {
  return currentPolicyEnforcer(DEFAULT_RULES).allows(ctx, action, targetProjectId);
}

/** Throws 403 `Policy doesn't allow <action> to be performed.` when not allowed. */
export function authorize(ctx: RequestContext, action: string, targetProjectId?: string | null): void {
  if (!isAllowed(ctx, action, targetProjectId)) throw new PolicyNotAuthorized(action);
}
