/**
 * Resource filters (Cinder's `resource_query_filters_file`): `GET /resource_filters` (3.33+) lists
 * what the operator's file allows, and the lists refuse a non-admin's other filters (3.31+) with
 * Cinder's 400 — volumes, snapshots, backups, and the other resources the file names. Keystone
 * mode, so that a member is not an admin; the file is a copy of the shipped one, changed by the last
 * test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeKeystone } from '../auth/fake-keystone.js';
import { mv, startTestKindling, waitFor, type TestKindling } from '../support/kindling.js';

const SHIPPED = fileURLToPath(new URL('../../etc/resource_filters.json', import.meta.url));

/** Cinder Zed's `etc/cinder/resource_filters.json`, as `GET /resource_filters` lists it. */
const CINDER_DEFAULTS = [
  {
    resource: 'volume',
    filters: [
      'name',
      'status',
      'metadata',
      'bootable',
      'migration_status',
      'availability_zone',
      'group_id',
      'size',
      'created_at',
      'updated_at',
      'consumes_quota',
    ],
  },
  { resource: 'backup', filters: ['name', 'status', 'volume_id'] },
  {
    resource: 'snapshot',
    filters: ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'],
  },
  { resource: 'group', filters: ['name'] },
  { resource: 'group_snapshot', filters: ['name', 'status', 'group_id'] },
  { resource: 'attachment', filters: ['volume_id', 'status', 'instance_id', 'attach_status'] },
  {
    resource: 'message',
    filters: ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'],
  },
  { resource: 'pool', filters: ['name', 'volume_type'] },
  { resource: 'volume_type', filters: ['is_public', 'extra_specs'] },
];

const dir = mkdtempSync(join(tmpdir(), 'kindling-resource-filters-'));
const file = join(dir, 'resource_filters.json');
copyFileSync(SHIPPED, file);

const ks = await new FakeKeystone().start();
const k: TestKindling = await startTestKindling(
  {
    KINDLING__DEFAULT__auth_strategy: 'keystone',
    KINDLING__DEFAULT__resource_query_filters_file: file,
    KINDLING__keystone_authtoken__auth_url: `${ks.url}/v3`,
    KINDLING__keystone_authtoken__username: 'kindling',
    KINDLING__keystone_authtoken__password: 'secret',
    KINDLING__keystone_authtoken__project_name: 'service',
  },
  { waitForPools: false },
);
const member = ks.issue({ userId: 'u1', projectId: 'p1', roles: ['member', 'reader'] });
const admin = ks.issue({ userId: 'a1', projectId: 'padm', roles: ['admin', 'member', 'reader'] });

test.after(async () => {
  await k.close();
  await ks.stop();
  rmSync(dir, { recursive: true, force: true });
});

const as = (token: string, version: string) => ({ 'x-auth-token': token, ...mv(version) });
const get = (url: string, token: string, version = '3.70') =>
  k.req('GET', url, undefined, as(token, version));
const invalid = (keys: string) => ({
  badRequest: { code: 400, message: `Invalid filters ${keys} are found in query options.` },
});

test('GET /resource_filters (3.33+): every resource of the file, in its order; 404 below 3.33', async () => {
  const r = await get('/v3/p1/resource_filters', member, '3.33');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { resource_filters: CINDER_DEFAULTS });
  const noProject = await get('/v3/resource_filters', admin, '3.70');
  assert.equal(noProject.status, 200);
  assert.deepEqual(noProject.body, { resource_filters: CINDER_DEFAULTS });
  const old = await get('/v3/p1/resource_filters', member, '3.32');
  assert.equal(old.status, 404);
  assert.equal(old.body.itemNotFound.code, 404);
});

test('GET /resource_filters?resource=: that resource only, or nothing when the file does not name it', async () => {
  const r = await get('/v3/p1/resource_filters?resource=volume', member);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { resource_filters: [CINDER_DEFAULTS[0]] });
  const pool = await get('/v3/p1/resource_filters?resource=pool', member);
  assert.deepEqual(pool.body, { resource_filters: [{ resource: 'pool', filters: ['name', 'volume_type'] }] });
  const none = await get('/v3/p1/resource_filters?resource=consistencygroup', member);
  assert.equal(none.status, 200);
  assert.deepEqual(none.body, { resource_filters: [] });
  const empty = await get('/v3/p1/resource_filters?resource=', member);
  assert.deepEqual(empty.body, { resource_filters: CINDER_DEFAULTS });
});

test("a member's filter the file does not name is 400 on volumes, snapshots and backups (3.31+)", async () => {
  for (const coll of [
    'volumes',
    'volumes/detail',
    'snapshots',
    'snapshots/detail',
    'backups',
    'backups/detail',
  ]) {
    const r = await get(`/v3/p1/${coll}?host=h1&name=x`, member, '3.31');
    assert.equal(r.status, 400, `${coll}: ${r.text}`);
    assert.deepEqual(r.body, invalid('host'), coll);
  }
  const two = await get('/v3/p1/volumes?user_id=u&all_tenants=1&project_id=p2', member);
  assert.deepEqual(two.body, invalid('user_id,project_id'));
  // The allowed ones pass; cinderclient's all_tenants is dropped, not refused.
  for (const url of [
    '/v3/p1/volumes?name=x&status=available&all_tenants=1',
    '/v3/p1/snapshots?volume_id=v&consumes_quota=true',
    '/v3/p1/backups?name=b&status=available&volume_id=v&all_tenants=1',
  ]) {
    const r = await get(url, member);
    assert.equal(r.status, 200, `${url}: ${r.text}`);
  }
  // Admins may use any filter.
  for (const coll of ['volumes', 'snapshots', 'backups']) {
    const r = await get(`/v3/padm/${coll}?host=h1`, admin);
    assert.equal(r.status, 200, `${coll}: ${r.text}`);
  }
});

test("like filters (3.34+): a member's key~ needs key~ in the file; below 3.31 other keys are dropped", async () => {
  const like = await get('/v3/p1/volumes?name~=x', member, '3.34');
  assert.deepEqual(like.body, invalid('name~'));
  const likeBackup = await get('/v3/p1/backups?name~=x', member, '3.34');
  assert.deepEqual(likeBackup.body, invalid('name~'));
  const adminLike = await get('/v3/padm/volumes?name~=x', admin, '3.34');
  assert.equal(adminLike.status, 200);
  // Before 3.31 a member's unknown keys are dropped, not refused.
  for (const coll of ['volumes', 'snapshots', 'backups']) {
    const r = await get(`/v3/p1/${coll}?host=h1`, member, '3.30');
    assert.equal(r.status, 200, `${coll}: ${r.text}`);
  }
  // The summary drops them at every version.
  const summary = await get('/v3/p1/volumes/summary?host=h1', member, '3.36');
  assert.equal(summary.status, 200, summary.text);
});

test("the other resources the file names refuse a member's other filters too", async () => {
  const cases: [string, string][] = [
    ['/v3/p1/attachments?host=h', '3.31'],
    ['/v3/p1/messages?host=h', '3.31'],
    ['/v3/p1/groups?host=h', '3.31'],
    ['/v3/p1/group_snapshots?host=h', '3.31'],
    ['/v3/p1/types?host=h', '3.52'],
  ];
  for (const [url, version] of cases) {
    const r = await get(url, member, version);
    assert.deepEqual(r.body, invalid('host'), `${url}: ${r.text}`);
  }
  // Pools are checked for admins too.
  const pools = await get('/v3/padm/scheduler-stats/get_pools?host=h', admin, '3.31');
  assert.deepEqual(pools.body, invalid('host'));
  // Attachments are checked from 3.31, as every other list.
  const attachments = await get('/v3/p1/attachments?volume_id=v&status=attached', member, '3.31');
  assert.equal(attachments.status, 200, attachments.text);
});

test('a changed file changes the answers: the list, and what a member may filter on', async () => {
  const before = await get('/v3/p1/snapshots?user_id=u1', member);
  assert.deepEqual(before.body, invalid('user_id'));
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
  doc.snapshot = [...doc.snapshot!, 'user_id'];
  doc.volume = ['name', 'name~'];
  doc.consistencygroup = ['name'];
  writeFileSync(file, JSON.stringify(doc));
  const r = await waitFor(async () => {
    const x = await get('/v3/p1/resource_filters?resource=snapshot', member);
    return x.body.resource_filters[0].filters.includes('user_id') ? x : null;
  }, 10_000);
  assert.deepEqual(r.body.resource_filters[0].filters, [...CINDER_DEFAULTS[2]!.filters, 'user_id']);
  const cg = await get('/v3/p1/resource_filters?resource=consistencygroup', member);
  assert.deepEqual(cg.body, { resource_filters: [{ resource: 'consistencygroup', filters: ['name'] }] });
  const after = await get('/v3/p1/snapshots?user_id=u1', member);
  assert.equal(after.status, 200, after.text);
  const like = await get('/v3/p1/volumes?name~=x', member, '3.34');
  assert.equal(like.status, 200, like.text);
  const status = await get('/v3/p1/volumes?status=available', member);
  assert.deepEqual(status.body, invalid('status'));
  // A file that is not JSON is no filters at all, as in Cinder: every member filter is refused.
  writeFileSync(file, '{ not json');
  await waitFor(async () => {
    const x = await get('/v3/p1/resource_filters', member);
    return x.body.resource_filters.length === 0 ? x : null;
  }, 10_000);
  const refused = await get('/v3/p1/backups?name=b', member);
  assert.deepEqual(refused.body, invalid('name'));
  const plain = await get('/v3/p1/backups', member);
  assert.equal(plain.status, 200);
});
