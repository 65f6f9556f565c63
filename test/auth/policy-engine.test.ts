/**
 * oslo.policy's rule language: parsing (precedence, parentheses, errors) and evaluation of every
 * check kind against credentials and a target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkToString,
  evaluate,
  parseCheckString,
  parseRule,
  PolicyParseError,
  type Check,
  type PolicyCredentials,
  type PolicyTarget,
} from '../../src/auth/policy-engine.js';

const member: PolicyCredentials = {
  user_id: 'u1',
  project_id: 'p1',
  roles: ['member', 'reader'],
  is_admin: false,
  is_admin_project: true,
  system_scope: null,
  nested: { groups: ['g1', 'g2'] },
};
const admin: PolicyCredentials = { ...member, roles: ['admin', 'member', 'reader'], is_admin: true };

function check(
  rule: string,
  creds: PolicyCredentials,
  target: PolicyTarget = { project_id: 'p1' },
  rules: Record<string, string> = {},
): boolean {
  const parsed = new Map(Object.entries(rules).map(([k, v]) => [k, parseCheckString(v)] as const));
  return evaluate(parseCheckString(rule), target, creds, (n) => parsed.get(n));
}

test('@ always passes, ! never, and an empty rule is @', () => {
  assert.equal(check('@', member), true);
  assert.equal(check('!', admin), false);
  assert.equal(check('', member), true);
  assert.equal(check('   ', member), true);
});

test('role: matches any of the caller’s roles, ignoring case', () => {
  assert.equal(check('role:member', member), true);
  assert.equal(check('role:MEMBER', member), true);
  assert.equal(check('role:admin', member), false);
  assert.equal(check('role:admin', admin), true);
  assert.equal(check('role:admin', { user_id: 'x' }), false, 'no roles at all');
});

test('project_id:%(project_id)s compares the caller’s project with the target’s', () => {
  assert.equal(check('project_id:%(project_id)s', member, { project_id: 'p1' }), true);
  assert.equal(check('project_id:%(project_id)s', member, { project_id: 'p2' }), false);
  assert.equal(check('user_id:%(user_id)s', member, { user_id: 'u1' }), true);
  assert.equal(check('user_id:%(user_id)s', member, { user_id: 'u2' }), false);
});

test('a %(key)s the target lacks fails the check instead of matching anything', () => {
  assert.equal(check('project_id:%(project_id)s', member, {}), false);
  assert.equal(check('not project_id:%(nothing)s', member, {}), true);
});

test('%(target.x)s reads a dotted key as written or as a path into nested values', () => {
  assert.equal(
    check('project_id:%(target.volume.project_id)s', member, { 'target.volume.project_id': 'p1' }),
    true,
  );
  assert.equal(
    check('project_id:%(target.volume.project_id)s', member, { target: { volume: { project_id: 'p1' } } }),
    true,
  );
  assert.equal(
    check('project_id:%(target.volume.project_id)s', member, { target: { volume: { project_id: 'p9' } } }),
    false,
  );
});

test('is_admin:True and other credentials compare as Python would print them', () => {
  assert.equal(check('is_admin:True', admin), true);
  assert.equal(check('is_admin:True', member), false);
  assert.equal(check('is_admin:False', member), true);
  assert.equal(check('system_scope:all', member), false);
  assert.equal(check('system_scope:None', member), true);
  assert.equal(check('nested.groups:g2', member), true, 'a list on the path matches by any item');
  assert.equal(check('nested.groups:g3', member), false);
  assert.equal(check('nothing:x', member), false);
});

test('a literal on the left compares with the (substituted) right side', () => {
  assert.equal(check("'p1':%(project_id)s", member, { project_id: 'p1' }), true);
  assert.equal(check("'p1':%(project_id)s", member, { project_id: 'p2' }), false);
  assert.equal(check('True:%(enabled)s', member, { enabled: true }), true);
  assert.equal(check('True:%(enabled)s', member, { enabled: false }), false);
  assert.equal(check('100:%(size)s', member, { size: 100 }), true);
});

test('not binds tighter than and, which binds tighter than or', () => {
  // a or b and c  ==  a or (b and c)
  assert.equal(check('role:admin or role:member and role:nobody', member), false);
  assert.equal(check('role:member or role:admin and role:nobody', member), true);
  // not a and b  ==  (not a) and b
  assert.equal(check('not role:admin and role:member', member), true);
  assert.equal(check('not role:member and role:member', member), false);
  assert.equal(check('not (role:member and role:nobody)', member), true);
  assert.equal(check('NOT role:admin AND role:member', member), true, 'keywords in any case');
});

test('parentheses group, also when glued to checks', () => {
  assert.equal(
    check('(role:admin or role:member) and project_id:%(project_id)s', member, { project_id: 'p1' }),
    true,
  );
  assert.equal(
    check('(role:admin or role:member) and project_id:%(project_id)s', member, { project_id: 'p2' }),
    false,
  );
  assert.equal(check('((role:admin)) or ((role:reader and (project_id:%(project_id)s)))', member), true);
});

test('rule: evaluates a named rule; an unknown name fails', () => {
  const rules = { admin_api: 'is_admin:True', owner: 'rule:admin_api or project_id:%(project_id)s' };
  assert.equal(check('rule:owner', member, { project_id: 'p1' }, rules), true);
  assert.equal(check('rule:owner', member, { project_id: 'p2' }, rules), false);
  assert.equal(check('rule:owner', admin, { project_id: 'p2' }, rules), true);
  assert.equal(check('rule:missing', admin, {}, rules), false);
});

test('the canonical form of a parsed rule parses back to the same rule', () => {
  for (const text of [
    '(is_admin:True or (role:admin and is_admin_project:True) or project_id:%(project_id)s)',
    'not role:a and (role:b or !)',
    '@',
    'rule:x',
  ]) {
    const once = parseCheckString(text);
    assert.deepEqual(parseCheckString(checkToString(once)), once, text);
  }
});

test('malformed check strings are refused with the reason', () => {
  for (const bad of [
    'role:admin or',
    'and role:admin',
    '(role:admin',
    'role:admin)',
    'role:admin role:member',
    'admin',
    "'quoted'",
    'http://example.com/check',
  ])
    assert.throws(() => parseCheckString(bad), PolicyParseError, bad);
});

test('the legacy list form is an or of ands', () => {
  const rule: Check = parseRule([['role:member', 'project_id:%(project_id)s'], ['role:admin']]);
  const ev = (c: PolicyCredentials, t: PolicyTarget) => evaluate(rule, t, c, () => undefined);
  assert.equal(ev(member, { project_id: 'p1' }), true);
  assert.equal(ev(member, { project_id: 'p2' }), false);
  assert.equal(ev(admin, { project_id: 'p2' }), true);
  assert.equal(
    evaluate(parseRule([]), {}, member, () => undefined),
    true,
    'an empty list is @',
  );
  assert.throws(() => parseRule(42), PolicyParseError);
});
