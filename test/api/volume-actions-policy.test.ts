/**
 * Who may run which volume action (Cinder's default policies). Every noauth caller is an admin,
 * so a member's view is checked on the rules themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAllowed } from '../../src/auth/policy.js';
import type { RequestContext } from '../../src/common/context.js';

const member: RequestContext = {
  userId: 'u',
  projectId: 'p1',
  isAdmin: false,
  roles: ['member'],
  requestId: 'req-1',
};

test('project members may extend, revert, retype and flag their own volumes, not others’', () => {
  for (const rule of [
    'volume:extend',
    'volume:extend_attached_volume',
    'volume:revert_to_snapshot',
    'volume:retype',
    'volume:update_readonly_flag',
    'volume:update',
  ]) {
    assert.equal(isAllowed(member, rule, 'p1'), true, rule);
    assert.equal(isAllowed(member, rule, 'p2'), false, rule);
  }
});

test('reset-status, force-delete and migrations are for admins only', () => {
  for (const rule of [
    'volume_extension:volume_admin_actions:reset_status',
    'volume_extension:volume_admin_actions:force_delete',
    'volume_extension:volume_admin_actions:migrate_volume',
    'volume_extension:volume_admin_actions:migrate_volume_completion',
  ]) {
    assert.equal(isAllowed(member, rule, 'p1'), false, rule);
    assert.equal(isAllowed({ ...member, isAdmin: true, roles: ['admin'] }, rule, 'p1'), true, rule);
  }
});
