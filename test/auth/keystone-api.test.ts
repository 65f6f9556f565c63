/**
 * Keystone mode through the API (a fake Keystone on a local port): what a caller without a good
 * token gets, what Real Cinder's version documents do, project isolation (404), admin APIs (403),
 * all_tenants for admins, and a policy.yaml override.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { FakeKeystone } from './fake-keystone.js';

const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

interface Rig {
  k: TestKindling;
  ks: FakeKeystone;
  /** Tokens: members of projects pa and pb, and an admin (of project padm). */
  a: string;
  b: string;
  admin: string;
}

async function rig(t: TestContext, env: Record<string, string> = {}): Promise<Rig> {
  const ks = await new FakeKeystone().start();
  t.after(() => ks.stop());
  const k = await startTestKindling(
    {
      KINDLING__DEFAULT__auth_strategy: 'keystone',
      KINDLING__keystone_authtoken__auth_url: `${ks.url}/v3`,
      KINDLING__keystone_authtoken__username: 'kindling',
      KINDLING__keystone_authtoken__password: 'secret',
      KINDLING__keystone_authtoken__project_name: 'service',
      ...env,
    },
    { waitForPools: false },
  );
  t.after(() => k.close());
  const r: Rig = {
    k,
    ks,
    a: ks.issue({ userId: 'ua', projectId: 'pa', roles: ['member', 'reader'] }),
    b: ks.issue({ userId: 'ub', projectId: 'pb', roles: ['member', 'reader'] }),
    admin: ks.issue({ userId: 'uadm', projectId: 'padm', roles: ['admin', 'member', 'reader'] }),
  };
  await waitFor(
    async () =>
      (await k.req('GET', '/v3/padm/scheduler-stats/get_pools', undefined, { 'x-auth-token': r.admin })).body
        ?.pools?.length > 0,
  );
  return r;
}

const as = (token: string) => ({ 'x-auth-token': token });

async function createVolume(r: Rig, token: string, project: string): Promise<string> {
  const res = await r.k.req(
    'POST',
    `/v3/${project}/volumes`,
    { volume: { size: 1, name: `v-${project}` } },
    as(token),
  );
  assert.equal(res.status, 202, res.text);
  await waitForVolumeStatus(
    { ...r.k, req: (m, u, b, h) => r.k.req(m, u, b, { ...as(r.admin), ...h }) },
    res.body.volume.id,
    ['available'],
  );
  return res.body.volume.id as string;
}

test('no token or a bad one: 401 with WWW-Authenticate, Keystone’s body and no version headers', async (t) => {
  const r = await rig(t);
  for (const headers of [{ 'x-auth-token': undefined }, as('bogus')]) {
    for (const url of ['/v3/pa/volumes', '/v3/volumes', '/v3/', '/v3']) {
      const res = await r.k.req('GET', url, undefined, headers);
      assert.equal(res.status, 401, `${url} ${res.text}`);
      assert.equal(res.headers['www-authenticate'], `Keystone uri="${r.ks.url}"`);
      assert.deepEqual(res.body, UNAUTHORIZED);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.match(String(res.headers['x-openstack-request-id']), /^req-/);
      assert.equal(res.headers['openstack-api-version'], undefined);
    }
  }
  const root = await r.k.req('GET', '/', undefined, { 'x-auth-token': undefined });
  assert.equal(root.status, 300, 'the root version document stays open');
  const v3 = await r.k.req('GET', '/v3/', undefined, as(r.a));
  assert.equal(v3.status, 200);
  assert.equal(v3.body.versions[0].id, 'v3.0');
});

test('www_authenticate_uri names where users are sent', async (t) => {
  const r = await rig(t, {
    KINDLING__keystone_authtoken__www_authenticate_uri: 'https://keystone.example:5000',
  });
  const res = await r.k.req('GET', '/v3/pa/volumes', undefined, as('bogus'));
  assert.equal(res.headers['www-authenticate'], 'Keystone uri="https://keystone.example:5000"');
});

test('Keystone down: 503, and no 401 that would make clients throw their token away', async (t) => {
  const r = await rig(t, { KINDLING__keystone_authtoken__http_request_max_retries: '0' });
  r.ks.failWith = 500;
  const fresh = r.ks.issue({ userId: 'ua', projectId: 'pa', roles: ['member'] });
  const res = await r.k.req('GET', '/v3/pa/volumes', undefined, as(fresh));
  assert.equal(res.status, 503);
  assert.deepEqual(res.body, {
    error: {
      code: 503,
      title: 'Service Unavailable',
      message: 'The Keystone service is temporarily unavailable.',
    },
  });
});

test('another project’s volume is 404 to a member, who also cannot list it; the URL must be their project', async (t) => {
  const r = await rig(t);
  const id = await createVolume(r, r.a, 'pa');
  const notFound = { itemNotFound: { code: 404, message: `Volume ${id} could not be found.` } };
  const get = await r.k.req('GET', `/v3/pb/volumes/${id}`, undefined, as(r.b));
  assert.equal(get.status, 404);
  assert.deepEqual(get.body, notFound);
  const put = await r.k.req('PUT', `/v3/pb/volumes/${id}`, { volume: { name: 'mine' } }, as(r.b));
  assert.equal(put.status, 404);
  const del = await r.k.req('DELETE', `/v3/pb/volumes/${id}`, undefined, as(r.b));
  assert.equal(del.status, 404);
  const list = await r.k.req('GET', '/v3/pb/volumes/detail?all_tenants=1', undefined, as(r.b));
  assert.deepEqual(list.body.volumes, [], 'all_tenants means nothing to a member');
  const wrongUrl = await r.k.req('GET', '/v3/pa/volumes', undefined, as(r.b));
  assert.equal(wrongUrl.status, 400);
  assert.deepEqual(wrongUrl.body, { badRequest: { code: 400, message: 'Malformed request url' } });

  const own = await r.k.req('GET', `/v3/pa/volumes/${id}`, undefined, as(r.a));
  assert.equal(own.status, 200);
  assert.equal(own.body.volume.name, 'v-pa');
});

test('another project’s snapshot is 404 to a member: show, update, delete, list', async (t) => {
  const r = await rig(t);
  const volumeId = await createVolume(r, r.a, 'pa');
  const snap = await r.k.req(
    'POST',
    '/v3/pa/snapshots',
    { snapshot: { volume_id: volumeId, name: 's-pa' } },
    as(r.a),
  );
  assert.equal(snap.status, 202, snap.text);
  const id = snap.body.snapshot.id as string;
  const notFound = { itemNotFound: { code: 404, message: `Snapshot ${id} could not be found.` } };
  for (const [method, body] of [
    ['GET', undefined],
    ['PUT', { snapshot: { name: 'mine' } }],
    ['DELETE', undefined],
  ] as const) {
    const res = await r.k.req(method, `/v3/pb/snapshots/${id}`, body, as(r.b));
    assert.equal(res.status, 404, `${method} ${res.text}`);
    assert.deepEqual(res.body, notFound);
  }
  const list = await r.k.req('GET', '/v3/pb/snapshots?all_tenants=1', undefined, as(r.b));
  assert.deepEqual(list.body.snapshots, []);
  const own = await r.k.req('GET', `/v3/pa/snapshots/${id}`, undefined, as(r.a));
  assert.equal(own.status, 200);
});

test("attachments: a member attaches their own volume; another project's attachment is 404 to them", async (t) => {
  const r = await rig(t);
  const volumeId = await createVolume(r, r.a, 'pa');
  const v327 = (token: string) => ({ ...as(token), 'openstack-api-version': 'volume 3.44' });
  const made = await r.k.req(
    'POST',
    '/v3/pa/attachments',
    { attachment: { volume_uuid: volumeId } },
    v327(r.a),
  );
  assert.equal(made.status, 200, made.text);
  const id = made.body.attachment.id as string;
  const notFound = {
    itemNotFound: {
      code: 404,
      message: `Volume attachment could not be found with filter: attachment_id = ${id}.`,
    },
  };
  // NOTE: Real Cinder shows any attachment to anyone who knows its id; Kindling keeps projects apart.
  for (const [method, url, body] of [
    ['GET', `/v3/pb/attachments/${id}`, undefined],
    ['PUT', `/v3/pb/attachments/${id}`, { attachment: { connector: { initiator: 'iqn.x:y', host: 'h' } } }],
    ['POST', `/v3/pb/attachments/${id}/action`, { 'os-complete': null }],
    ['DELETE', `/v3/pb/attachments/${id}`, undefined],
  ] as const) {
    const res = await r.k.req(method, url, body, v327(r.b));
    assert.equal(res.status, 404, `${method} ${url} ${res.text}`);
    assert.deepEqual(res.body, notFound);
  }
  // Nor can they attach another project's volume.
  const theirs = await r.k.req(
    'POST',
    '/v3/pb/attachments',
    { attachment: { volume_uuid: volumeId } },
    v327(r.b),
  );
  assert.equal(theirs.status, 404);
  const listB = await r.k.req('GET', '/v3/pb/attachments?all_tenants=1', undefined, v327(r.b));
  assert.deepEqual(listB.body, { attachments: [] });
  const listAdmin = await r.k.req('GET', '/v3/padm/attachments?all_tenants=1', undefined, v327(r.admin));
  assert.deepEqual(
    listAdmin.body.attachments.map((a: { id: string }) => a.id),
    [id],
  );
  // The owner completes and deletes it; os-force_detach is for admins only.
  const forced = await r.k.req(
    'POST',
    `/v3/pa/volumes/${volumeId}/action`,
    { 'os-force_detach': {} },
    as(r.a),
  );
  assert.equal(forced.status, 403);
  assert.deepEqual(forced.body, {
    forbidden: {
      code: 403,
      message: "Policy doesn't allow volume_extension:volume_admin_actions:force_detach to be performed.",
    },
  });
  assert.equal(
    (await r.k.req('POST', `/v3/pa/attachments/${id}/action`, { 'os-complete': null }, v327(r.a))).status,
    204,
  );
  assert.equal((await r.k.req('DELETE', `/v3/pa/attachments/${id}`, undefined, v327(r.a))).status, 200);
});

test('members get 403 from admin APIs; an admin sees every project with all_tenants', async (t) => {
  const r = await rig(t);
  const id = await createVolume(r, r.a, 'pa');
  const services = await r.k.req('GET', '/v3/pa/os-services', undefined, as(r.a));
  assert.equal(services.status, 403);
  assert.deepEqual(services.body, {
    forbidden: {
      code: 403,
      message: "Policy doesn't allow volume_extension:services:index to be performed.",
    },
  });
  const reset = await r.k.req(
    'POST',
    `/v3/pa/volumes/${id}/action`,
    { 'os-reset_status': { status: 'error' } },
    as(r.a),
  );
  assert.equal(reset.status, 403);
  assert.equal(
    reset.body.forbidden.message,
    "Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be performed.",
  );

  const mine = await r.k.req('GET', '/v3/padm/volumes', undefined, as(r.admin));
  assert.deepEqual(mine.body.volumes, [], 'without all_tenants an admin lists its own project');
  const all = await r.k.req('GET', '/v3/padm/volumes/detail?all_tenants=1', undefined, as(r.admin));
  assert.deepEqual(
    all.body.volumes.map((v: { id: string }) => v.id),
    [id],
  );
  assert.equal(all.body.volumes[0]['os-vol-tenant-attr:tenant_id'], 'pa');
  const show = await r.k.req('GET', `/v3/padm/volumes/${id}`, undefined, as(r.admin));
  assert.equal(show.status, 200);
  const services2 = await r.k.req('GET', '/v3/padm/os-services', undefined, as(r.admin));
  assert.equal(services2.status, 200);
});

test('a policy.yaml override (volume:create: role:admin) refuses members without a code change', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-policy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'policy.yaml'), '"volume:create": "role:admin"\n');
  const r = await rig(t, { KINDLING__oslo_policy__policy_file: join(dir, 'policy.yaml') });
  const res = await r.k.req('POST', '/v3/pa/volumes', { volume: { size: 1 } }, as(r.a));
  assert.equal(res.status, 403);
  assert.deepEqual(res.body, {
    forbidden: { code: 403, message: "Policy doesn't allow volume:create to be performed." },
  });
  const byAdmin = await r.k.req('POST', '/v3/padm/volumes', { volume: { size: 1 } }, as(r.admin));
  assert.equal(byAdmin.status, 202, byAdmin.text);
});
