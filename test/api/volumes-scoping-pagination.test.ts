import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';

async function createAs(kt: TestKindling, project: string, name: string, size = 1): Promise<string> {
  const r = await kt.req(
    'POST',
    `/v3/${project}/volumes`,
    { volume: { size, name } },
    { 'x-auth-token': `u-${project}:${project}` },
  );
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.volume.id as string;
}

test('noauth: each project lists its own volumes; all_tenants=1 shows every project', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  await createAs(kt, 'demo', 'd1');
  await createAs(kt, 'admin', 'a1');
  const mine = await kt.req('GET', '/v3/admin/volumes');
  assert.deepEqual(
    mine.body.volumes.map((v: { name: string }) => v.name),
    ['a1'],
  );
  const demo = await kt.req('GET', '/v3/demo/volumes', undefined, { 'x-auth-token': 'u-demo:demo' });
  assert.deepEqual(
    demo.body.volumes.map((v: { name: string }) => v.name),
    ['d1'],
  );
  const all = await kt.req('GET', '/v3/admin/volumes/detail?all_tenants=1');
  assert.deepEqual(all.body.volumes.map((v: { name: string }) => v.name).sort(), ['a1', 'd1']);
  assert.deepEqual(
    all.body.volumes
      .map((v: { 'os-vol-tenant-attr:tenant_id': string }) => v['os-vol-tenant-attr:tenant_id'])
      .sort(),
    ['admin', 'demo'],
  );
});

test('a URL project that differs from the token project → 400 Malformed request url', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const r = await kt.req('GET', '/v3/demo/volumes', undefined, { 'x-auth-token': 'admin:admin' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { badRequest: { code: 400, message: 'Malformed request url' } });
});

test('project-less URLs work at every microversion and links follow the URL form', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const id = await createAs(kt, 'admin', 'plain');
  const r = await kt.req('GET', `/v3/volumes/${id}`);
  assert.equal(r.status, 200);
  assert.match(r.body.volume.links[0].href, new RegExp(`/v3/volumes/${id}$`));
  const withProject = await kt.req('GET', `/v3/admin/volumes/${id}`);
  assert.match(withProject.body.volume.links[0].href, new RegExp(`/v3/admin/volumes/${id}$`));
  assert.match(withProject.body.volume.links[1].href, new RegExp(`[^3]/admin/volumes/${id}$`));
});

test('a request without a token gets 204 and a token to use', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const r = await kt.req('GET', '/v3/admin/volumes', undefined, {
    'x-auth-token': undefined,
    'x-auth-user': 'bob',
    'x-auth-project-id': 'proj',
  });
  assert.equal(r.status, 204);
  assert.equal(r.headers['x-auth-token'], 'bob:proj');
  assert.ok(String(r.headers['x-server-management-url']).endsWith('/v3/admin/volumes'));
});

test('every response carries a request id and the negotiated microversion', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const r = await kt.req('GET', '/v3/admin/volumes', undefined, { 'openstack-api-version': 'volume 3.45' });
  assert.match(String(r.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
  assert.equal(r.headers['openstack-api-version'], 'volume 3.45');
  const none = await kt.req('GET', '/v3/admin/volumes');
  assert.equal(none.headers['openstack-api-version'], 'volume 3.0');
  const latest = await kt.req('GET', '/v3/admin/volumes', undefined, {
    'openstack-api-version': 'volume latest',
  });
  assert.equal(latest.headers['openstack-api-version'], 'volume 3.70');
  const legacy = await kt.req('GET', '/v3/admin/volumes', undefined, {
    'openstack-volume-microversion': '3.12',
  });
  assert.equal(legacy.headers['openstack-api-version'], 'volume 3.12');
  const tooNew = await kt.req('GET', '/v3/admin/volumes', undefined, {
    'openstack-api-version': 'volume 3.71',
  });
  assert.equal(tooNew.status, 406);
  assert.deepEqual(tooNew.body, {
    computeFault: {
      code: 406,
      message: 'Version 3.71 is not supported by the API. Minimum is 3.0 and maximum is 3.70.',
    },
  });
  const bad = await kt.req('GET', '/v3/admin/volumes', undefined, { 'openstack-api-version': 'volume 3.07' });
  assert.equal(bad.status, 400);
  assert.equal(
    bad.body.badRequest.message,
    'API Version String 3.07 is of invalid format. Must be of format MajorNum.MinorNum.',
  );
});

test('version documents: / answers 300, /v3/ answers 200', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const root = await kt.req('GET', '/');
  assert.equal(root.status, 300);
  assert.equal(root.body.versions[0].version, '3.70');
  assert.equal(root.body.versions[0].min_version, '3.0');
  const v3 = await kt.req('GET', '/v3/');
  assert.equal(v3.status, 200);
  assert.equal(v3.body.versions[0].id, 'v3.0');
});

test('pagination: limit, marker and next links walk every volume exactly once; sort works', async (t) => {
  const kt = await startTestKindling({ KINDLING__DEFAULT__quota_volumes: '-1' });
  t.after(() => kt.close());
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push(await createAs(kt, 'admin', `v${i}`, (i % 3) + 1));
  const seen: string[] = [];
  let url: string | null = '/v3/admin/volumes?limit=3';
  let pages = 0;
  while (url) {
    const r = await kt.req('GET', url);
    assert.equal(r.status, 200);
    seen.push(...r.body.volumes.map((v: { id: string }) => v.id));
    const next = r.body.volumes_links?.find((l: { rel: string }) => l.rel === 'next')?.href as
      string | undefined;
    url = next ? new URL(next).pathname + new URL(next).search : null;
    pages++;
  }
  assert.equal(pages, 3);
  assert.deepEqual([...seen].sort(), [...ids].sort());
  assert.deepEqual(seen, [...ids].reverse(), 'default sort is created_at desc');

  const byName = await kt.req('GET', '/v3/admin/volumes/detail?sort=name:asc');
  assert.deepEqual(
    byName.body.volumes.map((v: { name: string }) => v.name),
    ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6'],
  );
  const bySize = await kt.req('GET', '/v3/admin/volumes/detail?sort_key=size&sort_dir=asc');
  const sizes = bySize.body.volumes.map((v: { size: number }) => v.size);
  assert.deepEqual(
    sizes,
    [...sizes].sort((a: number, b: number) => a - b),
  );

  assert.equal(
    (await kt.req('GET', '/v3/admin/volumes?limit=abc')).body.badRequest.message,
    'limit param must be an integer',
  );
  assert.equal(
    (await kt.req('GET', '/v3/admin/volumes?limit=-1')).body.badRequest.message,
    'limit param must be positive',
  );
  const badMarker = await kt.req('GET', '/v3/admin/volumes?marker=00000000-0000-0000-0000-000000000000');
  assert.equal(badMarker.status, 400);
  const count = await kt.req('GET', '/v3/admin/volumes?limit=2&with_count=true', undefined, {
    'openstack-api-version': 'volume 3.45',
  });
  assert.equal(count.body.count, 7);
  assert.equal(count.body.volumes.length, 2);
});

test('filters: name, status, metadata', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const a = await kt.req('POST', '/v3/admin/volumes', {
    volume: { size: 1, name: 'alpha', metadata: { tier: 'gold' } },
  });
  await kt.req('POST', '/v3/admin/volumes', {
    volume: { size: 1, name: 'beta', metadata: { tier: 'iron' } },
  });
  await waitForVolumeStatus(kt, a.body.volume.id, ['available']);
  const byName = await kt.req('GET', '/v3/admin/volumes?name=alpha');
  assert.deepEqual(
    byName.body.volumes.map((v: { name: string }) => v.name),
    ['alpha'],
  );
  const byMeta = await kt.req(
    'GET',
    `/v3/admin/volumes/detail?metadata=${encodeURIComponent("{'tier': 'gold'}")}`,
  );
  assert.deepEqual(
    byMeta.body.volumes.map((v: { name: string }) => v.name),
    ['alpha'],
  );
  const none = await kt.req('GET', '/v3/admin/volumes?status=error');
  assert.deepEqual(none.body.volumes, []);
  const summary = await kt.req('GET', '/v3/admin/volumes/summary', undefined, {
    'openstack-api-version': 'volume 3.36',
  });
  assert.equal(summary.body['volume-summary'].total_count, 2);
  assert.equal(summary.body['volume-summary'].total_size, 2);
  assert.deepEqual([...summary.body['volume-summary'].metadata.tier].sort(), ['gold', 'iron']);
});
