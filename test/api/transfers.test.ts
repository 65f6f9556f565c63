/**
 * Volume transfers (`/os-volume-transfer`, `/volume-transfers`): create with a one-time auth key,
 * list and show, accept from another project (ownership and quota move), delete; and every
 * refusal with Real Cinder's status and text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newUuid } from '../../src/common/uuid.js';
import { QuotaEngine } from '../../src/quota/quota-engine.js';
import { quotaDefaults } from '../../src/service/core.js';
import { isoNow } from '../../src/common/time.js';
import { mv, waitForVolumeStatus, type TestKindling, type TestResponse } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';

/** The donor (`demo`) and the receiver (`other`), each a noauth user of its own project. */
const DEMO = { 'x-auth-token': 'alice:demo' };
const OTHER = { 'x-auth-token': 'bob:other' };

/** A volume of `demo`, available. */
async function demoVolume(k: TestKindling, body: Record<string, unknown> = { size: 1 }): Promise<any> {
  const r = await k.req('POST', '/v3/demo/volumes', { volume: body }, DEMO);
  assert.equal(r.status, 202, r.text);
  return waitForVolumeStatus(k, r.body.volume.id, ['available']);
}

async function volumeRow(k: TestKindling, id: string) {
  return k.db
    .selectFrom('volumes')
    .select(['status', 'project_id', 'user_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

/** `{in_use, reserved}` of some resources of a project. */
async function usage(k: TestKindling, project: string, resources: string[]) {
  const q = (await k.req('GET', `/v3/admin/os-quota-sets/${project}?usage=true`)).body.quota_set;
  return Object.fromEntries(resources.map((r) => [r, [q[r].in_use, q[r].reserved]]));
}

function links(project: string, id: string) {
  return [
    { rel: 'self', href: `http://localhost:80/v3/${project}/os-volume-transfer/${id}` },
    { rel: 'bookmark', href: `http://localhost:80/${project}/os-volume-transfer/${id}` },
  ];
}

function assertFault(r: TestResponse, status: number, message: string): void {
  const name = { 400: 'badRequest', 404: 'itemNotFound', 413: 'overLimit' }[status]!;
  assert.equal(r.status, status, r.text);
  assert.equal(r.body[name].message, message);
}

test('create → awaiting-transfer; the key is shown once; views per microversion', async (t) => {
  const k = await startForTest(t);
  const v = await demoVolume(k);
  const c = await k.req(
    'POST',
    '/v3/demo/os-volume-transfer',
    {
      transfer: { volume_id: v.id, name: '  t1 ' },
    },
    DEMO,
  );
  assert.equal(c.status, 202, c.text);
  const id = c.body.transfer.id;
  assert.deepEqual(Object.keys(c.body.transfer), [
    'id',
    'created_at',
    'name',
    'volume_id',
    'auth_key',
    'links',
  ]);
  assert.equal(c.body.transfer.name, 't1');
  assert.equal(c.body.transfer.volume_id, v.id);
  assert.match(c.body.transfer.auth_key, /^[0-9a-f]{16}$/);
  assert.deepEqual(c.body.transfer.links, links('demo', id));
  assert.equal((await volumeRow(k, v.id)).status, 'awaiting-transfer');

  // The key is stored only salted and hashed.
  const row = await k.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  assert.match(row.salt!, /^[0-9a-f]{8}$/);
  assert.match(row.crypt_hash!, /^[0-9a-f]{40}$/);
  assert.ok(!JSON.stringify(row).includes(c.body.transfer.auth_key));

  const again = await k.req('POST', '/v3/demo/os-volume-transfer', { transfer: { volume_id: v.id } }, DEMO);
  assertFault(again, 400, 'Invalid volume: status must be available');

  const list = await k.req('GET', '/v3/demo/os-volume-transfer', undefined, DEMO);
  assert.deepEqual(list.body, {
    transfers: [{ id, volume_id: v.id, name: 't1', links: links('demo', id) }],
  });
  const detail = await k.req('GET', '/v3/demo/volume-transfers/detail', undefined, DEMO);
  assert.deepEqual(detail.body.transfers, [
    { id, created_at: row.created_at, name: 't1', volume_id: v.id, links: links('demo', id) },
  ]);
  const show57 = await k.req('GET', `/v3/demo/volume-transfers/${id}`, undefined, { ...DEMO, ...mv('3.57') });
  assert.deepEqual(show57.body.transfer, {
    id,
    created_at: row.created_at,
    name: 't1',
    volume_id: v.id,
    links: links('demo', id),
    no_snapshots: false,
    destination_project_id: null,
    source_project_id: 'demo',
    accepted: false,
  });
  // Another project's list does not show it; an admin's own list neither, unless all_tenants.
  assert.deepEqual((await k.req('GET', '/v3/other/volume-transfers', undefined, OTHER)).body.transfers, []);
  assert.deepEqual((await k.req('GET', '/v3/admin/volume-transfers')).body.transfers, []);
  const all = await k.req('GET', '/v3/admin/volume-transfers?all_tenants=1');
  assert.deepEqual(
    all.body.transfers.map((x: { id: string }) => x.id),
    [id],
  );
  await k.notifications.waitForEvents(['volume.transfer.create.start', 'volume.transfer.create.end']);
});

test('accept from another project moves the volume, its owner and its quota', async (t) => {
  const k = await startForTest(t);
  assert.equal((await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } })).status, 200);
  const v = await demoVolume(k, { size: 3, volume_type: 'gold' });
  const c = await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id } }, DEMO);
  assert.equal(c.status, 202, c.text);
  const { id, auth_key: key } = c.body.transfer;
  const keys = ['volumes', 'gigabytes', 'volumes_gold', 'gigabytes_gold'];
  assert.deepEqual(await usage(k, 'demo', keys), {
    volumes: [1, 0],
    gigabytes: [3, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [3, 0],
  });

  const wrong = await k.req(
    'POST',
    `/v3/other/volume-transfers/${id}/accept`,
    { accept: { auth_key: 'nope' } },
    OTHER,
  );
  assertFault(wrong, 400, `Invalid auth key: Attempt to transfer ${id} with invalid auth key.`);
  const numeric = await k.req(
    'POST',
    `/v3/other/volume-transfers/${id}/accept`,
    { accept: { auth_key: 12345 } },
    OTHER,
  );
  assertFault(numeric, 400, `Invalid auth key: Attempt to transfer ${id} with invalid auth key.`);

  const ok = await k.req(
    'POST',
    `/v3/other/volume-transfers/${id}/accept`,
    { accept: { auth_key: key } },
    OTHER,
  );
  assert.equal(ok.status, 202, ok.text);
  assert.deepEqual(ok.body, { transfer: { id, volume_id: v.id, name: null, links: links('other', id) } });
  assert.deepEqual(await volumeRow(k, v.id), { status: 'available', project_id: 'other', user_id: 'bob' });
  assert.deepEqual(await usage(k, 'demo', keys), {
    volumes: [0, 0],
    gigabytes: [0, 0],
    volumes_gold: [0, 0],
    gigabytes_gold: [0, 0],
  });
  assert.deepEqual(await usage(k, 'other', keys), {
    volumes: [1, 0],
    gigabytes: [3, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [3, 0],
  });
  // The new owner lists it; the old one no longer does.
  const listed = async (project: string, auth: Record<string, string>) =>
    (await k.req('GET', `/v3/${project}/volumes`, undefined, auth)).body.volumes.map(
      (x: { id: string }) => x.id,
    );
  assert.deepEqual(await listed('other', OTHER), [v.id]);
  assert.deepEqual(await listed('demo', DEMO), []);

  // An accepted transfer is gone.
  assertFault(
    await k.req('GET', `/v3/admin/volume-transfers/${id}`),
    404,
    `Transfer ${id} could not be found.`,
  );
  assertFault(
    await k.req('POST', `/v3/other/volume-transfers/${id}/accept`, { accept: { auth_key: key } }, OTHER),
    404,
    `Transfer ${id} could not be found.`,
  );
  const row = await k.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  assert.deepEqual([row.deleted, row.accepted, row.destination_project_id], [1, 1, 'other']);
  await k.notifications.waitForEvents(['volume.transfer.accept.start', 'volume.transfer.accept.end']);
});

test('accepting your own transfer succeeds and changes nothing but the status', async (t) => {
  const k = await startForTest(t);
  const v = await demoVolume(k, { size: 2 });
  const c = await k.req('POST', '/v3/demo/os-volume-transfer', { transfer: { volume_id: v.id } }, DEMO);
  const { id, auth_key: key } = c.body.transfer;
  const r = await k.req(
    'POST',
    `/v3/demo/os-volume-transfer/${id}/accept`,
    { accept: { auth_key: key } },
    DEMO,
  );
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(await volumeRow(k, v.id), { status: 'available', project_id: 'demo', user_id: 'alice' });
  assert.deepEqual(await usage(k, 'demo', ['volumes', 'gigabytes']), { volumes: [1, 0], gigabytes: [2, 0] });
});

test('delete gives the volume back; a second delete is 404', async (t) => {
  const k = await startForTest(t);
  const v = await demoVolume(k);
  const c = await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id } }, DEMO);
  const id = c.body.transfer.id;
  // A volume awaiting transfer cannot be deleted.
  const del = await k.req('DELETE', `/v3/demo/volumes/${v.id}`, undefined, DEMO);
  assert.equal(del.status, 400);
  const d = await k.req('DELETE', `/v3/demo/volume-transfers/${id}`, undefined, DEMO);
  assert.equal(d.status, 202);
  assert.equal(d.text, '');
  assert.equal((await volumeRow(k, v.id)).status, 'available');
  assertFault(
    await k.req('DELETE', `/v3/demo/os-volume-transfer/${id}`, undefined, DEMO),
    404,
    `Transfer ${id} could not be found.`,
  );
  await k.notifications.waitForEvents(['volume.transfer.delete.start', 'volume.transfer.delete.end']);
});

test('no_snapshots only on /volume-transfers from 3.55', async (t) => {
  const k = await startForTest(t);
  const v = await demoVolume(k);
  const body = { transfer: { volume_id: v.id, no_snapshots: true } };
  const unexpected =
    `Invalid input for field/attribute transfer. Value: {'volume_id': '${v.id}', 'no_snapshots': True}. ` +
    "Additional properties are not allowed ('no_snapshots' was unexpected)";
  assertFault(
    await k.req('POST', '/v3/demo/volume-transfers', body, { ...DEMO, ...mv('3.54') }),
    400,
    unexpected,
  );
  assertFault(
    await k.req('POST', '/v3/demo/os-volume-transfer', body, { ...DEMO, ...mv('3.55') }),
    400,
    unexpected,
  );
  const ok = await k.req(
    'POST',
    '/v3/demo/volume-transfers',
    {
      transfer: { volume_id: v.id, no_snapshots: 'yes' },
    },
    { ...DEMO, ...mv('3.55') },
  );
  assert.equal(ok.status, 202, ok.text);
  assert.equal(ok.body.transfer.no_snapshots, true);
  assert.equal('source_project_id' in ok.body.transfer, false);
});

test("bad requests get Cinder's answers", async (t) => {
  const k = await startForTest(t);
  const missing = newUuid();
  assertFault(
    await k.req('POST', '/v3/demo/os-volume-transfer', { transfer: { volume_id: missing } }, DEMO),
    404,
    `Volume ${missing} could not be found.`,
  );
  assertFault(
    await k.req('POST', '/v3/demo/os-volume-transfer', { transfer: { volume_id: 'abc' } }, DEMO),
    400,
    "Invalid input for field/attribute volume_id. Value: abc. 'abc' is not a 'uuid'",
  );
  assertFault(
    await k.req(
      'POST',
      '/v3/demo/os-volume-transfer',
      { transfer: { volume_id: missing, name: '   ' } },
      DEMO,
    ),
    400,
    "Invalid input for field/attribute name. Value:    . '   ' is not valid under any of the given schemas",
  );
  assertFault(
    await k.req('POST', '/v3/demo/os-volume-transfer', { transfer: { name: 'x' } }, DEMO),
    400,
    "Invalid input for field/attribute transfer. Value: {'name': 'x'}. 'volume_id' is a required property",
  );
  assertFault(
    await k.req('POST', '/v3/demo/os-volume-transfer', {}, DEMO),
    400,
    "'transfer' is a required property",
  );
  assertFault(
    await k.req('POST', `/v3/demo/os-volume-transfer/${missing}/accept`, { accept: {} }, DEMO),
    400,
    "Invalid input for field/attribute accept. Value: {}. 'auth_key' is a required property",
  );
  assertFault(
    await k.req('POST', '/v3/demo/os-volume-transfer/nonexist/accept', { accept: { auth_key: 'x' } }, DEMO),
    404,
    'Transfer nonexist could not be found.',
  );
  const v = await demoVolume(k);
  await k.db.updateTable('volumes').set({ status: 'error' }).where('id', '=', v.id).execute();
  assertFault(
    await k.req('POST', '/v3/demo/os-volume-transfer', { transfer: { volume_id: v.id } }, DEMO),
    400,
    'Invalid volume: status must be available',
  );
});

test("over the receiver's quota → 413 as Cinder words it; nothing reserved, nothing moved", async (t) => {
  const k = await startForTest(t);
  assert.equal((await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } })).status, 200);
  const v = await demoVolume(k, { size: 2, volume_type: 'gold' });
  const c = await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id } }, DEMO);
  const { id, auth_key: key } = c.body.transfer;
  const accept = () =>
    k.req('POST', `/v3/other/volume-transfers/${id}/accept`, { accept: { auth_key: key } }, OTHER);

  await k.req('PUT', '/v3/admin/os-quota-sets/other', { quota_set: { volumes_gold: 0 } });
  let r = await accept();
  assert.equal(r.status, 413);
  assert.equal(r.headers['retry-after'], '0');
  assert.deepEqual(r.body, {
    overLimit: {
      code: 413,
      message:
        "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes_gold'.",
      retryAfter: '0',
    },
  });

  await k.req('PUT', '/v3/admin/os-quota-sets/other', { quota_set: { volumes_gold: -1, gigabytes_gold: 1 } });
  r = await accept();
  assert.equal(r.status, 413);
  assert.deepEqual(r.body, {
    overLimit: {
      code: 413,
      message:
        'Requested volume or snapshot exceeds allowed gigabytes_gold quota. Requested 2G, quota is 1G and 0G has been consumed.',
      retryAfter: '0',
    },
  });

  await k.req('PUT', '/v3/admin/os-quota-sets/other', {
    quota_set: { gigabytes_gold: -1, per_volume_gigabytes: 1 },
  });
  r = await accept();
  assert.equal(r.status, 413);
  assert.equal(
    r.body.overLimit.message,
    'VolumeSizeExceedsLimit: Requested volume size 2G is larger than maximum allowed limit 1G.',
  );

  const keys = ['volumes', 'gigabytes', 'volumes_gold', 'gigabytes_gold'];
  assert.deepEqual(await usage(k, 'other', keys), {
    volumes: [0, 0],
    gigabytes: [0, 0],
    volumes_gold: [0, 0],
    gigabytes_gold: [0, 0],
  });
  assert.deepEqual(await usage(k, 'demo', keys), {
    volumes: [1, 0],
    gigabytes: [2, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [2, 0],
  });
  assert.deepEqual(await volumeRow(k, v.id), {
    status: 'awaiting-transfer',
    project_id: 'demo',
    user_id: 'alice',
  });
});

test('a volume that left awaiting-transfer cannot be accepted; reservations are given back', async (t) => {
  const k = await startForTest(t);
  const v = await demoVolume(k, { size: 1 });
  const c = await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id } }, DEMO);
  const { id, auth_key: key } = c.body.transfer;
  const accept = () =>
    k.req('POST', `/v3/other/volume-transfers/${id}/accept`, { accept: { auth_key: key } }, OTHER);
  await k.db.updateTable('volumes').set({ status: 'maintenance' }).where('id', '=', v.id).execute();
  assertFault(await accept(), 400, 'Invalid volume: The volume cannot accept transfer in maintenance mode.');
  await k.db.updateTable('volumes').set({ status: 'available' }).where('id', '=', v.id).execute();
  assertFault(
    await accept(),
    400,
    `Invalid volume: Transfer ${id}: Volume id ${v.id} expected in awaiting-transfer state.`,
  );
  assert.deepEqual(await usage(k, 'other', ['volumes', 'gigabytes']), { volumes: [0, 0], gigabytes: [0, 0] });
  assert.deepEqual(await usage(k, 'demo', ['volumes', 'gigabytes']), { volumes: [1, 0], gigabytes: [1, 0] });
  assert.deepEqual(await volumeRow(k, v.id), { status: 'available', project_id: 'demo', user_id: 'alice' });
});

/**
 * A snapshot of `volumeId` in `demo`, as the snapshot API leaves one (row plus committed quota);
 * written directly so this test does not depend on the snapshot routes.
 */
async function demoSnapshot(k: TestKindling, volumeId: string, size: number, status = 'available') {
  const id = newUuid();
  await k.db
    .insertInto('snapshots')
    .values({
      id,
      volume_id: volumeId,
      user_id: 'alice',
      project_id: 'demo',
      status,
      progress: '100%',
      volume_size: size,
      display_name: null,
      display_description: null,
      volume_type_id: null,
      provider_location: null,
      use_quota: 1,
      created_at: isoNow(),
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    })
    .execute();
  const quotas = new QuotaEngine(k.core.dbh, {
    defaults: quotaDefaults(k.core.config),
    reservation_expire: 86400,
    use_default_quota_class: true,
  });
  await quotas.reserveAndCommit('demo', {
    snapshots: 1,
    gigabytes: size,
    snapshots___DEFAULT__: 1,
    gigabytes___DEFAULT__: size,
  });
  return id;
}

test('snapshots go with the volume unless no_snapshots; each must be available', async (t) => {
  const k = await startForTest(t);
  const v = await demoVolume(k, { size: 2 });
  const snap = await demoSnapshot(k, v.id, 2, 'error');
  assertFault(
    await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id } }, DEMO),
    400,
    `Invalid snapshot: snapshot: ${snap} status must be available`,
  );
  await k.db.updateTable('snapshots').set({ status: 'available' }).where('id', '=', snap).execute();
  const c = await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id } }, DEMO);
  assert.equal(c.status, 202, c.text);
  const keys = ['volumes', 'gigabytes', 'snapshots', 'snapshots___DEFAULT__', 'gigabytes___DEFAULT__'];
  assert.deepEqual(await usage(k, 'demo', keys), {
    volumes: [1, 0],
    gigabytes: [4, 0],
    snapshots: [1, 0],
    snapshots___DEFAULT__: [1, 0],
    gigabytes___DEFAULT__: [4, 0],
  });
  const r = await k.req(
    'POST',
    `/v3/other/volume-transfers/${c.body.transfer.id}/accept`,
    { accept: { auth_key: c.body.transfer.auth_key } },
    OTHER,
  );
  assert.equal(r.status, 202, r.text);
  const s = await k.db
    .selectFrom('snapshots')
    .select(['project_id', 'user_id'])
    .where('id', '=', snap)
    .executeTakeFirstOrThrow();
  assert.deepEqual(s, { project_id: 'other', user_id: 'bob' });
  assert.deepEqual(await usage(k, 'other', keys), {
    volumes: [1, 0],
    gigabytes: [4, 0],
    snapshots: [1, 0],
    snapshots___DEFAULT__: [1, 0],
    gigabytes___DEFAULT__: [4, 0],
  });
  assert.deepEqual(await usage(k, 'demo', keys), {
    volumes: [0, 0],
    gigabytes: [0, 0],
    snapshots: [0, 0],
    snapshots___DEFAULT__: [0, 0],
    gigabytes___DEFAULT__: [0, 0],
  });

  // Offered without its snapshots, the volume moves alone.
  const v2 = await demoVolume(k, { size: 1 });
  const snap2 = await demoSnapshot(k, v2.id, 1, 'error');
  const c2 = await k.req(
    'POST',
    '/v3/demo/volume-transfers',
    {
      transfer: { volume_id: v2.id, no_snapshots: true },
    },
    { ...DEMO, ...mv('3.55') },
  );
  assert.equal(c2.status, 202, c2.text);
  const r2 = await k.req(
    'POST',
    `/v3/other/volume-transfers/${c2.body.transfer.id}/accept`,
    { accept: { auth_key: c2.body.transfer.auth_key } },
    OTHER,
  );
  assert.equal(r2.status, 202, r2.text);
  const s2 = await k.db
    .selectFrom('snapshots')
    .select('project_id')
    .where('id', '=', snap2)
    .executeTakeFirstOrThrow();
  assert.equal(s2.project_id, 'demo');
  assert.deepEqual(await usage(k, 'demo', ['volumes', 'snapshots']), { volumes: [0, 0], snapshots: [1, 0] });
});

test('snapshot quota of the receiver is checked too', async (t) => {
  const k = await startForTest(t);
  const v = await demoVolume(k, { size: 1 });
  await demoSnapshot(k, v.id, 1);
  const c = await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id } }, DEMO);
  await k.req('PUT', '/v3/admin/os-quota-sets/other', { quota_set: { snapshots: 0 } });
  const r = await k.req(
    'POST',
    `/v3/other/volume-transfers/${c.body.transfer.id}/accept`,
    { accept: { auth_key: c.body.transfer.auth_key } },
    OTHER,
  );
  assert.equal(r.status, 413);
  assert.equal(
    r.body.overLimit.message,
    'SnapshotLimitExceeded: Maximum number of snapshots allowed (0) exceeded',
  );
  // The volume's own reservation was given back as well.
  assert.deepEqual(await usage(k, 'other', ['volumes', 'gigabytes', 'snapshots']), {
    volumes: [0, 0],
    gigabytes: [0, 0],
    snapshots: [0, 0],
  });
});

test('lists: filters, and paging and sorting on /volume-transfers from 3.59', async (t) => {
  const k = await startForTest(t);
  const ids: string[] = [];
  for (const name of ['a', 'b', 'c']) {
    const v = await demoVolume(k);
    const c = await k.req('POST', '/v3/demo/volume-transfers', { transfer: { volume_id: v.id, name } }, DEMO);
    ids.push(c.body.transfer.id);
  }
  const get = async (url: string, v = '3.0') =>
    k.req('GET', `/v3/demo${url}`, undefined, { ...DEMO, ...mv(v) });
  const names = (r: TestResponse) => r.body.transfers.map((x: { name: string }) => x.name);

  assert.deepEqual(names(await get('/volume-transfers')), ['a', 'b', 'c']);
  assert.deepEqual(names(await get('/volume-transfers?name=b')), ['b']);
  assert.deepEqual(names(await get('/volume-transfers?name=zz')), []);
  assert.deepEqual(names(await get('/volume-transfers?foo=1')), []);
  // Before 3.59 (and always on the legacy route) paging keys are filters naming no column.
  assert.deepEqual(names(await get('/volume-transfers?limit=1')), []);
  assert.deepEqual(names(await get('/os-volume-transfer?limit=1', '3.59')), []);
  assertFault(await get('/volume-transfers?limit=x'), 400, 'limit param must be an integer');

  assert.deepEqual(names(await get('/volume-transfers', '3.59')), ['c', 'b', 'a']);
  assert.deepEqual(names(await get('/volume-transfers?sort=display_name:asc', '3.59')), ['a', 'b', 'c']);
  const page = await get('/volume-transfers?limit=1&sort=display_name:asc', '3.59');
  assert.deepEqual(names(page), ['a']);
  assert.deepEqual(page.body.transfers_links, [
    {
      rel: 'next',
      href: `http://localhost:80/v3/demo/os-volume-transfer?limit=1&sort=display_name%3Aasc&marker=${ids[0]}`,
    },
  ]);
  const next = await get(`/volume-transfers?limit=1&sort=display_name:asc&marker=${ids[0]}`, '3.59');
  assert.deepEqual(names(next), ['b']);
  assertFault(
    await get('/volume-transfers?sort=foo', '3.59'),
    400,
    'Invalid input received: Invalid sort key',
  );
  assertFault(await get('/volume-transfers?marker=abc', '3.59'), 404, 'Transfer abc could not be found.');
  assertFault(await get('/volume-transfers?offset=-1', '3.59'), 400, 'offset must be >= 0');
});
