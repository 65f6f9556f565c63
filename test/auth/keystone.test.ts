/**
 * Keystone token authentication against a fake Keystone on a local port, with a fake clock:
 * what is a 401, what the context says, caching and the revocation window, expiry, the service's
 * own token, X-Service-Token, and Keystone being unreachable (503).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KeystoneClient } from '../../src/api/auth/keystone-client.js';
import { KeystoneAuthenticator, type KeystoneAuthOptions } from '../../src/api/auth/keystone.js';
import { MIN_TOKEN_LIFE_MS, ServiceToken } from '../../src/api/auth/service-token.js';
import { PolicyEnforcer } from '../../src/auth/policy-enforcer.js';
import { DEFAULT_RULES } from '../../src/auth/policy.js';
import { FakeKeystone } from './fake-keystone.js';

interface Rig {
  ks: FakeKeystone;
  auth: KeystoneAuthenticator;
  clock: { now: number };
  req(headers: Record<string, string>): ReturnType<KeystoneAuthenticator['authenticate']>;
}

async function rig(
  t: TestContext,
  opts: Partial<KeystoneAuthOptions> & { maxRetries?: number } = {},
): Promise<Rig> {
  const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
  const now = () => clock.now;
  const ks = await new FakeKeystone(undefined, now).start();
  t.after(() => ks.stop());
  const client = new KeystoneClient({
    authUrl: `${ks.url}/v3/`,
    timeoutMs: 5000,
    maxRetries: opts.maxRetries ?? 0,
  });
  const enforcer = new PolicyEnforcer(DEFAULT_RULES);
  const auth = new KeystoneAuthenticator({
    client,
    serviceToken: new ServiceToken(
      client,
      {
        username: 'kindling',
        password: 'secret',
        userDomainName: 'Default',
        projectName: 'service',
        projectDomainName: 'Default',
      },
      now,
    ),
    tokenCacheTime: 300,
    serviceTokenRoles: ['service'],
    serviceTokenRolesRequired: false,
    includeServiceCatalog: true,
    isAdmin: (creds) => enforcer.isAdmin(creds),
    now,
    ...opts,
  });
  return { ks, auth, clock, req: (headers) => auth.authenticate(headers, 'req-test') };
}

test('no token is a 401 without asking Keystone; an unknown token is a 401 after asking', async (t) => {
  const r = await rig(t);
  assert.deepEqual(await r.req({}), { ok: false, status: 401 });
  assert.deepEqual(await r.req({ 'x-auth-token': '   ' }), { ok: false, status: 401 });
  assert.equal(r.ks.validations, 0);
  assert.deepEqual(await r.req({ 'x-auth-token': 'bogus' }), { ok: false, status: 401 });
  assert.equal(r.ks.validations, 1);
});

test('a valid token makes the context: user, project, roles, names, domains, trimmed catalog', async (t) => {
  const r = await rig(t);
  const token = r.ks.issue({
    userId: 'u1',
    userName: 'demo',
    projectId: 'p1',
    projectName: 'demo',
    roles: ['member', 'reader'],
    catalog: [
      {
        type: 'identity',
        name: 'keystone',
        endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://ks' }],
      },
      { type: 'volumev3', name: 'kindling', endpoints: [{ interface: 'public', url: 'http://k/v3/p1' }] },
    ],
  });
  const res = await r.req({ 'x-auth-token': ` ${token} ` });
  assert.ok(res.ok);
  const ctx = res.ctx;
  assert.equal(ctx.userId, 'u1');
  assert.equal(ctx.userName, 'demo');
  assert.equal(ctx.projectId, 'p1');
  assert.equal(ctx.projectName, 'demo');
  assert.deepEqual(ctx.roles, ['member', 'reader']);
  assert.equal(ctx.isAdmin, false);
  assert.equal(ctx.userDomainId, 'default');
  assert.equal(ctx.projectDomainName, 'Default');
  assert.equal(ctx.requestId, 'req-test');
  assert.equal(ctx.authToken, token);
  assert.deepEqual(ctx.serviceCatalog, [
    {
      type: 'identity',
      name: 'keystone',
      endpoints: [{ interface: 'public', region: 'RegionOne', url: 'http://ks' }],
    },
  ]);

  const admin = await r.req({
    'x-auth-token': r.ks.issue({ userId: 'a', projectId: 'pa', roles: ['admin'] }),
  });
  assert.ok(admin.ok && admin.ctx.isAdmin, 'the admin role makes an admin (context_is_admin)');
});

test('validations are cached for token_cache_time, then asked again', async (t) => {
  const r = await rig(t);
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1', roles: ['member'] });
  for (let i = 0; i < 5; i++) assert.ok((await r.req({ 'x-auth-token': token })).ok);
  assert.equal(r.ks.validations, 1);
  r.clock.now += 299_000;
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  assert.equal(r.ks.validations, 1);
  r.clock.now += 2_000;
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  assert.equal(r.ks.validations, 2);
});

test('requests that arrive together with one new token share one validation', async (t) => {
  const r = await rig(t);
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1' });
  const results = await Promise.all(Array.from({ length: 8 }, () => r.req({ 'x-auth-token': token })));
  assert.ok(results.every((x) => x.ok));
  assert.equal(r.ks.validations, 1);
  assert.equal(r.ks.authentications, 1);
});

test('new tokens are validated concurrently, at most maxConcurrentValidations at once; cached ones ask nobody', async (t) => {
  const target: { client?: KeystoneClient } = {};
  let inFlight = 0;
  let most = 0;
  const counting = {
    async validate(...args: Parameters<KeystoneClient['validate']>) {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return await target.client!.validate(...args);
      } finally {
        inFlight--;
      }
    },
  } as unknown as KeystoneClient;
  const r = await rig(t, { client: counting, maxConcurrentValidations: 4 });
  target.client = new KeystoneClient({ authUrl: `${r.ks.url}/v3/`, timeoutMs: 5000, maxRetries: 0 });
  const tokens = Array.from({ length: 20 }, (_, i) => r.ks.issue({ userId: `u${i}`, projectId: 'p1' }));
  const results = await Promise.all(tokens.map((tok) => r.req({ 'x-auth-token': tok })));
  assert.ok(results.every((x) => x.ok));
  assert.equal(most, 4, 'validations ran concurrently, never more than the bound');
  assert.equal(r.ks.validations, 20);
  for (const tok of tokens) assert.ok((await r.req({ 'x-auth-token': tok })).ok);
  assert.equal(r.ks.validations, 20, 'a cached token costs no round trip');
});

test('a revoked token keeps working until its cached validation expires, then is a 401', async (t) => {
  const r = await rig(t, { tokenCacheTime: 10 });
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1' });
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  r.ks.revoked.add(token);
  r.clock.now += 9_000;
  assert.ok((await r.req({ 'x-auth-token': token })).ok, 'within the window: still cached');
  r.clock.now += 1_500;
  assert.deepEqual(await r.req({ 'x-auth-token': token }), { ok: false, status: 401 });
});

test('with token_cache_time 0 every request asks Keystone, so revocation is immediate', async (t) => {
  const r = await rig(t, { tokenCacheTime: 0 });
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1' });
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  assert.equal(r.ks.validations, 2);
  r.ks.revoked.add(token);
  assert.deepEqual(await r.req({ 'x-auth-token': token }), { ok: false, status: 401 });
});

test('a token that expires while cached is refused at once', async (t) => {
  const r = await rig(t);
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1', expiresAt: r.clock.now + 60_000 });
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  r.clock.now += 60_000;
  assert.deepEqual(await r.req({ 'x-auth-token': token }), { ok: false, status: 401 });
  assert.equal(r.ks.validations, 1, 'refused from the cached expiry, not by asking again');
});

test('the service token is fetched once, renewed before it expires, and again when Keystone rejects it', async (t) => {
  const r = await rig(t, { tokenCacheTime: 0 });
  r.ks.serviceTokenLifeMs = 600_000;
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1', expiresAt: r.clock.now + 86_400_000 });
  await r.req({ 'x-auth-token': token });
  await r.req({ 'x-auth-token': token });
  assert.equal(r.ks.authentications, 1);

  r.clock.now += 600_000 - MIN_TOKEN_LIFE_MS + 1000; // less than MIN_TOKEN_LIFE_MS left
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  assert.equal(r.ks.authentications, 2);

  // Keystone forgets the service token (revoked): one 401, a new token, the same answer.
  for (const [tok, info] of r.ks.tokens) if (info.roles.includes('service')) r.ks.revoked.add(tok);
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  assert.equal(r.ks.authentications, 3);
});

test('Keystone failing or unreachable is a 503, not a 401', async (t) => {
  const r = await rig(t, { maxRetries: 1 });
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1' });
  r.ks.failWith = 500;
  assert.deepEqual(await r.req({ 'x-auth-token': token }), { ok: false, status: 503 });
  r.ks.failWith = undefined;
  assert.ok((await r.req({ 'x-auth-token': token })).ok);
  await r.ks.stop();
  const other = `tok-other`;
  assert.deepEqual(await r.req({ 'x-auth-token': other }), { ok: false, status: 503 });
});

test('wrong service credentials are a 503 (Kindling is misconfigured), not the caller’s fault', async (t) => {
  const r = await rig(t);
  r.ks.service.password = 'changed';
  const token = r.ks.issue({ userId: 'u1', projectId: 'p1' });
  assert.deepEqual(await r.req({ 'x-auth-token': token }), { ok: false, status: 503 });
});

test('X-Service-Token: a service role lets an expired user token through; others do not', async (t) => {
  const r = await rig(t);
  const expired = r.ks.issue({ userId: 'u1', projectId: 'p1', expiresAt: r.clock.now - 1000 });
  const nova = r.ks.issue({ userId: 'nova', projectId: 'service-project', roles: ['service'] });
  const plain = r.ks.issue({ userId: 'someone', projectId: 'p9', roles: ['member'] });

  assert.deepEqual(await r.req({ 'x-auth-token': expired }), { ok: false, status: 401 });
  const withService = await r.req({ 'x-auth-token': expired, 'x-service-token': nova });
  assert.ok(withService.ok);
  assert.equal(withService.ctx.userId, 'u1');
  assert.equal(withService.ctx.serviceUserId, 'nova');
  assert.deepEqual(withService.ctx.serviceRoles, ['service']);
  assert.ok(r.ks.validationQueries.some((q) => q.includes('allow_expired=1')));

  assert.deepEqual(await r.req({ 'x-auth-token': expired, 'x-service-token': plain }), {
    ok: false,
    status: 401,
  });
  assert.deepEqual(await r.req({ 'x-auth-token': expired, 'x-service-token': 'bogus' }), {
    ok: false,
    status: 401,
  });
  const fresh = r.ks.issue({ userId: 'u1', projectId: 'p1' });
  assert.ok(
    (await r.req({ 'x-auth-token': fresh, 'x-service-token': plain })).ok,
    'role not required: accepted',
  );
});

test('service_token_roles_required refuses a service token without a service role', async (t) => {
  const r = await rig(t, { serviceTokenRolesRequired: true });
  const fresh = r.ks.issue({ userId: 'u1', projectId: 'p1' });
  const plain = r.ks.issue({ userId: 'someone', projectId: 'p9', roles: ['member'] });
  assert.deepEqual(await r.req({ 'x-auth-token': fresh, 'x-service-token': plain }), {
    ok: false,
    status: 401,
  });
});

test('include_service_catalog = false asks Keystone for no catalog', async (t) => {
  const r = await rig(t, { includeServiceCatalog: false });
  const res = await r.req({ 'x-auth-token': r.ks.issue({ userId: 'u1', projectId: 'p1' }) });
  assert.ok(res.ok);
  assert.deepEqual(res.ctx.serviceCatalog, []);
  assert.deepEqual(r.ks.validationQueries, ['?nocatalog']);
});
