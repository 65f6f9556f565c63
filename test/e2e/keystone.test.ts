/**
 * Keystone mode end to end, with the real Keystone of scripts/keystone-up.sh and `kindling serve`:
 * no, bad, revoked and expired tokens are 401s with WWW-Authenticate; project members cannot see,
 * change or delete another project's volumes and snapshots (404) nor call admin APIs (403); an
 * admin sees every project with all_tenants; a policy.yaml override refuses a member.
 * Skipped (with the reason) where Keystone cannot be installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KindlingProcess } from './harness.js';
import {
  authenticate,
  issueToken,
  keystone,
  keystoneUp,
  KS_URL,
  startKeystoneKindling,
  type Token,
} from './keystone-support.js';

/** Seconds a validation is cached by the Kindling under test (the revocation window). */
const CACHE_SECONDS = 3;
const skip = keystoneUp();

async function api(
  k: KindlingProcess,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${k.url}${path}`, {
    method,
    headers: {
      ...(token !== undefined ? { 'x-auth-token': token } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

async function until<T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

describe('keystone mode with a real Keystone', { skip, timeout: 600_000 }, () => {
  let k: KindlingProcess;
  let admin: Token;
  let demo: Token;
  let alt: Token;

  before(async () => {
    k = await startKeystoneKindling(`token_cache_time = ${CACHE_SECONDS}\n`);
    [admin, demo, alt] = [await issueToken('admin'), await issueToken('demo'), await issueToken('alt_demo')];
  });
  after(() => k?.stop());

  async function createVolume(t: Token, name: string): Promise<string> {
    const r = await api(k, 'POST', `/v3/${t.projectId}/volumes`, t.token, { volume: { size: 1, name } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.volume.id as string;
    await until(
      async () =>
        (await api(k, 'GET', `/v3/${t.projectId}/volumes/${id}`, t.token)).body.volume.status === 'available',
      60_000,
      `volume ${id} available`,
    );
    return id;
  }

  test('no token or a bad token: 401, WWW-Authenticate naming this Keystone', async () => {
    for (const token of [undefined, 'not-a-token', 'gAAAAABnot-a-fernet-token']) {
      const r = await api(k, 'GET', `/v3/${demo.projectId}/volumes`, token);
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${KS_URL}"`);
      assert.deepEqual(r.body, UNAUTHORIZED);
    }
    assert.equal((await api(k, 'GET', '/', undefined)).status, 300);
    assert.equal((await api(k, 'GET', `/v3/${demo.projectId}/volumes`, demo.token)).status, 200);
  });

  test(`a revoked token stops working within token_cache_time (${CACHE_SECONDS} s)`, async () => {
    const t = await issueToken('demo');
    assert.equal((await api(k, 'GET', `/v3/${t.projectId}/volumes`, t.token)).status, 200);
    const revoke = await keystone('DELETE', '/v3/auth/tokens', t.token, undefined, {
      'x-subject-token': t.token,
    });
    assert.equal(revoke.status, 204);
    const revokedAt = Date.now();
    const r = await until(
      async () => {
        const res = await api(k, 'GET', `/v3/${t.projectId}/volumes`, t.token);
        return res.status === 401 && res;
      },
      (CACHE_SECONDS + 5) * 1000,
      'the revoked token to be refused',
    );
    assert.ok(Date.now() - revokedAt <= (CACHE_SECONDS + 5) * 1000);
    assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${KS_URL}"`);
  });

  test('an expired token is a 401 (a token of an application credential that expires)', async () => {
    const expiresAt = new Date(Date.now() + 8000);
    const created = await keystone('POST', `/v3/users/${demo.userId}/application_credentials`, demo.token, {
      application_credential: { name: `kindling-e2e-${Date.now()}`, expires_at: expiresAt.toISOString() },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const cred = created.body.application_credential as { id: string; secret: string };
    try {
      const t = await authenticate({
        identity: {
          methods: ['application_credential'],
          application_credential: { id: cred.id, secret: cred.secret },
        },
      });
      assert.equal((await api(k, 'GET', `/v3/${t.projectId}/volumes`, t.token)).status, 200);
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now()) + 1000));
      const r = await api(k, 'GET', `/v3/${t.projectId}/volumes`, t.token);
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, UNAUTHORIZED);
    } finally {
      await keystone('DELETE', `/v3/users/${demo.userId}/application_credentials/${cred.id}`, demo.token);
    }
  });

  test('a member cannot see, change or delete another project’s volumes and snapshots (404)', async () => {
    const id = await createVolume(demo, 'ks-e2e-demo');
    const snap = await api(k, 'POST', `/v3/${demo.projectId}/snapshots`, demo.token, {
      snapshot: { volume_id: id, name: 'ks-e2e-snap' },
    });
    assert.equal(snap.status, 202, JSON.stringify(snap.body));
    const snapId = snap.body.snapshot.id as string;

    const p = alt.projectId;
    for (const [method, path, body] of [
      ['GET', `/v3/${p}/volumes/${id}`, undefined],
      ['PUT', `/v3/${p}/volumes/${id}`, { volume: { name: 'taken' } }],
      ['POST', `/v3/${p}/volumes/${id}/action`, { 'os-extend': { new_size: 2 } }],
      ['DELETE', `/v3/${p}/volumes/${id}`, undefined],
      ['GET', `/v3/${p}/snapshots/${snapId}`, undefined],
      ['PUT', `/v3/${p}/snapshots/${snapId}`, { snapshot: { name: 'taken' } }],
      ['DELETE', `/v3/${p}/snapshots/${snapId}`, undefined],
    ] as const) {
      const r = await api(k, method, path, alt.token, body);
      assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.itemNotFound.code, 404);
    }
    const vols = await api(k, 'GET', `/v3/${p}/volumes/detail?all_tenants=1`, alt.token);
    assert.deepEqual(vols.body.volumes, []);
    const snaps = await api(k, 'GET', `/v3/${p}/snapshots?all_tenants=1`, alt.token);
    assert.deepEqual(snaps.body.snapshots, []);
    const wrongUrl = await api(k, 'GET', `/v3/${demo.projectId}/volumes`, alt.token);
    assert.equal(wrongUrl.status, 400);

    const mine = await api(k, 'GET', `/v3/${demo.projectId}/volumes/${id}`, demo.token);
    assert.equal(mine.body.volume.name, 'ks-e2e-demo');
    assert.equal(mine.body.volume.size, 1, 'the other project’s extend did not happen');
  });

  test('a member gets 403 from admin APIs; an admin sees every project with all_tenants', async () => {
    const id = await createVolume(demo, 'ks-e2e-admin-view');
    for (const [method, path, body, rule] of [
      ['GET', `/v3/${demo.projectId}/os-services`, undefined, 'volume_extension:services:index'],
      [
        'GET',
        `/v3/${demo.projectId}/scheduler-stats/get_pools`,
        undefined,
        'scheduler_extension:scheduler_stats:get_pools',
      ],
      [
        'POST',
        `/v3/${demo.projectId}/volumes/${id}/action`,
        { 'os-reset_status': { status: 'error' } },
        'volume_extension:volume_admin_actions:reset_status',
      ],
      [
        'PUT',
        `/v3/${demo.projectId}/os-quota-sets/${demo.projectId}`,
        { quota_set: { volumes: 100 } },
        'volume_extension:quotas:update',
      ],
    ] as const) {
      const r = await api(k, method, path, demo.token, body);
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, {
        forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` },
      });
    }

    const own = await api(k, 'GET', `/v3/${admin.projectId}/volumes`, admin.token);
    assert.ok(!own.body.volumes.some((v: { id: string }) => v.id === id));
    const all = await api(k, 'GET', `/v3/${admin.projectId}/volumes/detail?all_tenants=1`, admin.token);
    const seen = all.body.volumes.find((v: { id: string }) => v.id === id);
    assert.equal(seen?.['os-vol-tenant-attr:tenant_id'], demo.projectId);
    const show = await api(k, 'GET', `/v3/${admin.projectId}/volumes/${id}`, admin.token);
    assert.equal(show.status, 200);
    assert.equal((await api(k, 'GET', `/v3/${admin.projectId}/os-services`, admin.token)).status, 200);
  });

  test('a policy.yaml override (volume:create: role:admin) refuses a member, no code change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindling-ks-policy-'));
    await writeFile(join(dir, 'policy.yaml'), '"volume:create": "role:admin"\n');
    const k2 = await startKeystoneKindling(`[oslo_policy]\npolicy_file = ${join(dir, 'policy.yaml')}\n`);
    try {
      const r = await api(k2, 'POST', `/v3/${demo.projectId}/volumes`, demo.token, { volume: { size: 1 } });
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, {
        forbidden: { code: 403, message: "Policy doesn't allow volume:create to be performed." },
      });
      const byAdmin = await api(k2, 'POST', `/v3/${admin.projectId}/volumes`, admin.token, {
        volume: { size: 1 },
      });
      assert.equal(byAdmin.status, 202, JSON.stringify(byAdmin.body));
    } finally {
      await k2.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
