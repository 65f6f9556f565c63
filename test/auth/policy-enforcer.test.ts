/**
 * The enforcer: Cinder Zed's defaults, the shorthand levels of DEFAULT_RULES, and the operator's
 * policy file (where it is found, what it overrides, reloading, and refusing a broken one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CINDER_ZED_POLICY } from '../../src/auth/cinder-policy.js';
import { configurePolicy } from '../../src/auth/policy-config.js';
import { PolicyEnforcer, policyCredentials, setPolicyEnforcer } from '../../src/auth/policy-enforcer.js';
import { findPolicyFile, readPolicyFile, WatchedPolicyFile } from '../../src/auth/policy-file.js';
import { authorize, DEFAULT_RULES, isAllowed } from '../../src/auth/policy.js';
import type { RequestContext } from '../../src/common/context.js';
import { ConfigError, PolicyNotAuthorized } from '../../src/common/errors.js';
import { loadConfig } from '../../src/config/index.js';

const member: RequestContext = {
  userId: 'u1',
  projectId: 'p1',
  isAdmin: false,
  roles: ['member', 'reader'],
  requestId: 'req-t',
};
const readerOnly: RequestContext = { ...member, roles: ['reader'] };
/** What noauth makes of every caller. */
const noauthAdmin: RequestContext = {
  ...member,
  userId: 'admin',
  projectId: 'admin',
  isAdmin: true,
  roles: ['admin'],
};

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-policy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a noauth caller passes every Cinder action rule, on any project', () => {
  const enforcer = new PolicyEnforcer(DEFAULT_RULES);
  // NOTE: names without a colon are building blocks (admin_api, …), not actions.
  for (const name of Object.keys(CINDER_ZED_POLICY).filter((n) => n.includes(':')))
    assert.equal(enforcer.allows(noauthAdmin, name, 'some-other-project'), true, name);
});

test('each DEFAULT_RULES level agrees with the rule enforced for a project member', () => {
  const enforcer = new PolicyEnforcer(DEFAULT_RULES);
  for (const [name, level] of Object.entries(DEFAULT_RULES)) {
    const own = enforcer.allows(member, name, 'p1');
    const other = enforcer.allows(member, name, 'p2');
    const enforced = name in CINDER_ZED_POLICY ? CINDER_ZED_POLICY[name] : `(level ${level})`;
    if (level === 'admin') assert.equal(own, false, `${name} is admin-only, but Cinder says ${enforced}`);
    else assert.equal(own, true, `${name} is ${level}, but Cinder says ${enforced}`);
    if (level === 'none') assert.equal(other, true, `${name} is open, but Cinder says ${enforced}`);
  }
});

test('Zed defaults: members act on their own project only; admin APIs are for admins', () => {
  const enforcer = new PolicyEnforcer(DEFAULT_RULES);
  assert.equal(enforcer.allows(member, 'volume:get', 'p1'), true);
  assert.equal(enforcer.allows(member, 'volume:get', 'p2'), false);
  assert.equal(enforcer.allows(member, 'volume:delete', 'p2'), false);
  assert.equal(enforcer.allows(member, 'volume_extension:services:index'), false);
  assert.equal(enforcer.allows(member, 'volume_extension:volume_admin_actions:reset_status', 'p1'), false);
  // Zed still honours the deprecated `admin_or_owner`: a project's reader may delete its volumes.
  assert.equal(enforcer.allows(readerOnly, 'volume:delete', 'p1'), true);
  assert.equal(enforcer.allows({ ...member, roles: ['admin'] }, 'volume_extension:services:index'), true);
});

test('a rule nobody defined is for admins only', () => {
  const enforcer = new PolicyEnforcer({});
  assert.equal(enforcer.allows(member, 'kindling:no_such_rule'), false);
  assert.equal(enforcer.allows(noauthAdmin, 'kindling:no_such_rule'), true);
});

test('a shorthand level is used for a name Cinder’s table lacks', () => {
  const enforcer = new PolicyEnforcer({ 'kindling:open': 'none', 'kindling:mine': 'owner' });
  assert.equal(enforcer.allows(member, 'kindling:open', 'p2'), true);
  assert.equal(enforcer.allows(member, 'kindling:mine', 'p1'), true);
  assert.equal(enforcer.allows(member, 'kindling:mine', 'p2'), false);
});

test('context_is_admin decides is_admin: the admin role, or what the policy file says', async (t) => {
  const enforcer = new PolicyEnforcer(DEFAULT_RULES);
  assert.equal(enforcer.isAdmin(policyCredentials(member)), false);
  assert.equal(enforcer.isAdmin(policyCredentials({ ...member, roles: ['admin'] })), true);

  const dir = await tempDir(t);
  await writeFile(join(dir, 'policy.yaml'), 'context_is_admin: "role:cloud_admin"\n');
  const custom = new PolicyEnforcer(DEFAULT_RULES, new WatchedPolicyFile(join(dir, 'policy.yaml')));
  assert.equal(custom.isAdmin(policyCredentials({ ...member, roles: ['admin'] })), false);
  assert.equal(custom.isAdmin(policyCredentials({ ...member, roles: ['cloud_admin'] })), true);
});

test('policy.yaml overrides one rule, or a base rule every rule refers to', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'policy.yaml');
  await writeFile(path, '"volume:create": "role:admin"\n');
  const e1 = new PolicyEnforcer(DEFAULT_RULES, new WatchedPolicyFile(path));
  assert.equal(e1.allows(member, 'volume:create', 'p1'), false);
  assert.equal(e1.allows({ ...member, roles: ['admin'] }, 'volume:create', 'p1'), true);
  assert.equal(e1.allows(member, 'volume:delete', 'p1'), true, 'other rules keep their defaults');

  // JSON is YAML too (policy.json files keep working).
  await writeFile(path, '{"admin_or_owner": "is_admin:True", "xena_system_admin_or_project_member": "!"}');
  const e2 = new PolicyEnforcer(DEFAULT_RULES, new WatchedPolicyFile(path));
  assert.equal(e2.allows(member, 'volume:delete', 'p1'), false);
  assert.equal(e2.allows(noauthAdmin, 'volume:delete', 'p1'), true);
});

test('authorize answers 403 with Cinder’s message when the configured policy says no', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'kindling.conf'), '[DEFAULT]\n');
  await writeFile(join(dir, 'policy.yaml'), '"volume:create": "role:admin"\n');
  configurePolicy(loadConfig({ files: [join(dir, 'kindling.conf')], env: {} }));
  t.after(() => setPolicyEnforcer(undefined));
  assert.throws(
    () => authorize(member, 'volume:create', 'p1'),
    (e: unknown) =>
      e instanceof PolicyNotAuthorized &&
      e.code === 403 &&
      e.message === "Policy doesn't allow volume:create to be performed.",
  );
  assert.equal(isAllowed(member, 'volume:get', 'p1'), true);
});

test('the policy file is looked for next to the config files (last first), then in the fallbacks', async (t) => {
  const dir = await tempDir(t);
  for (const d of ['a', 'b', 'etc']) await mkdir(join(dir, d));
  await writeFile(join(dir, 'a', 'kindling.conf'), '');
  await writeFile(join(dir, 'b', 'extra.conf'), '');
  const confs = [join(dir, 'a', 'kindling.conf'), join(dir, 'b', 'extra.conf')];
  const fallback = [join(dir, 'etc')];

  assert.equal(findPolicyFile('policy.yaml', confs, fallback), null);
  await writeFile(join(dir, 'etc', 'policy.yaml'), '');
  assert.equal(findPolicyFile('policy.yaml', confs, fallback), join(dir, 'etc', 'policy.yaml'));
  await writeFile(join(dir, 'a', 'policy.yaml'), '');
  assert.equal(findPolicyFile('policy.yaml', confs, fallback), join(dir, 'a', 'policy.yaml'));
  await writeFile(join(dir, 'b', 'policy.yaml'), '');
  assert.equal(findPolicyFile('policy.yaml', confs, fallback), join(dir, 'b', 'policy.yaml'));
  assert.equal(findPolicyFile(join(dir, 'etc', 'policy.yaml'), [], []), join(dir, 'etc', 'policy.yaml'));
  assert.equal(findPolicyFile(join(dir, 'nope.yaml'), confs, fallback), null);
});

test('a policy_file set explicitly must exist; the default policy.yaml may be absent', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'kindling.conf'), '[oslo_policy]\npolicy_file = custom.yaml\n');
  t.after(() => setPolicyEnforcer(undefined));
  assert.throws(
    () => configurePolicy(loadConfig({ files: [join(dir, 'kindling.conf')], env: {} })),
    (e: unknown) => e instanceof ConfigError && /custom\.yaml not found/.test(e.message),
  );
  await writeFile(join(dir, 'custom.yaml'), '"volume:get": "!"\n');
  const enforcer = configurePolicy(loadConfig({ files: [join(dir, 'kindling.conf')], env: {} }));
  assert.equal(enforcer.policyFile, join(dir, 'custom.yaml'));
  assert.equal(isAllowed(member, 'volume:get', 'p1'), false);

  const none = configurePolicy(loadConfig({ env: {} }));
  assert.equal(none.policyFile, undefined);
  assert.equal(isAllowed(member, 'volume:get', 'p1'), true);
});

test('a broken policy file stops the start, naming the rule', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'policy.yaml');
  await writeFile(path, '"volume:create": "role:admin or"\n');
  assert.throws(
    () => readPolicyFile(path),
    (e: unknown) => e instanceof ConfigError && e.message.includes('rule "volume:create"'),
  );
  await writeFile(path, '"volume:create": [unclosed\n');
  assert.throws(() => readPolicyFile(path), ConfigError);
  await writeFile(path, '- a list\n');
  assert.throws(() => readPolicyFile(path), /must map rule names to rules/);
  await writeFile(path, 'a: "rule:b"\nb: "rule:a or role:x"\n');
  assert.throws(
    () => new PolicyEnforcer(DEFAULT_RULES, new WatchedPolicyFile(path)),
    (e: unknown) => e instanceof ConfigError && e.message.includes('a -> b -> a'),
  );
  await writeFile(path, '');
  assert.equal(readPolicyFile(path).size, 0, 'an empty file overrides nothing');
});

test('a changed policy file is re-read; a broken change keeps the rules in force', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'policy.yaml');
  await writeFile(path, '"volume:create": "role:admin"\n');
  let clock = 1_000_000;
  const heard: unknown[] = [];
  const enforcer = new PolicyEnforcer(
    DEFAULT_RULES,
    new WatchedPolicyFile(
      path,
      (r) => heard.push(r),
      () => clock,
    ),
  );
  assert.equal(enforcer.allows(member, 'volume:create', 'p1'), false);

  await writeFile(path, '"volume:create": "role:member"  # members again\n');
  assert.equal(enforcer.allows(member, 'volume:create', 'p1'), false, 'not looked at within a second');
  clock += 1500;
  assert.equal(enforcer.allows(member, 'volume:create', 'p1'), true);

  await writeFile(path, '"volume:create": "role:admin and"\n');
  clock += 1500;
  assert.equal(enforcer.allows(member, 'volume:create', 'p1'), true, 'the previous rules stay');
  assert.ok(heard.at(-1) instanceof ConfigError);

  await rm(path);
  clock += 1500;
  assert.equal(enforcer.allows(member, 'volume:create', 'p1'), true, 'no file: the defaults');
  await writeFile(path, '"volume:create": "!"\n');
  clock += 1500;
  assert.equal(enforcer.allows(noauthAdmin, 'volume:create', 'p1'), false);
});
