import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mv, startTestKindling, type TestKindling } from '../support/kindling.js';
import { availableSnapshot, availableVolume, waitForSnapshotStatus } from '../support/snapshots.js';

const ZERO_UUID = '00000000-0000-4000-8000-000000000000';

/** Sets columns of a volume row directly (states the API cannot reach without attach support). */
async function setVolume(k: TestKindling, id: string, values: Record<string, unknown>): Promise<void> {
  await k.db.updateTable('volumes').set(values).where('id', '=', id).execute();
}

function badRequest(message: string) {
  return { badRequest: { code: 400, message } };
}

test('snapshot lifecycle: create, show, list, detail, update, delete, with notifications and the backing file', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 2 });

  const c = await k.req('POST', '/v3/admin/snapshots', {
    snapshot: { volume_id: v.id, name: '  first  ', description: 'd', metadata: { a: 'b' } },
  });
  assert.equal(c.status, 202, c.text);
  const created = c.body.snapshot;
  assert.deepEqual(Object.keys(created).sort(), [
    'created_at',
    'description',
    'id',
    'metadata',
    'name',
    'size',
    'status',
    'updated_at',
    'volume_id',
  ]);
  assert.equal(created.name, 'first');
  assert.equal(created.status, 'creating');
  assert.equal(created.size, 2);
  assert.deepEqual(created.metadata, { a: 'b' });

  const s = await waitForSnapshotStatus(k, created.id, ['available']);
  assert.equal(s['os-extended-snapshot-attributes:progress'], '100%');
  assert.equal(s['os-extended-snapshot-attributes:project_id'], 'admin');
  const file = join(k.stateDir, 'volumes', `snapshot-${created.id}`);
  assert.ok(existsSync(file), 'the file driver keeps the snapshot beside its volume');

  const newer = await k.req('GET', `/v3/admin/snapshots/${created.id}`, undefined, mv('3.65'));
  assert.equal(newer.body.snapshot.group_snapshot_id, null);
  assert.equal(newer.body.snapshot.user_id, 'admin');
  assert.equal(newer.body.snapshot.consumes_quota, true);
  const older = await k.req('GET', `/v3/admin/snapshots/${created.id}`, undefined, mv('3.13'));
  assert.ok(!('group_snapshot_id' in older.body.snapshot) && !('user_id' in older.body.snapshot));

  const list = await k.req('GET', '/v3/admin/snapshots', undefined, mv('3.65'));
  assert.deepEqual(
    list.body.snapshots.map((x: any) => [
      x.id,
      'user_id' in x,
      'os-extended-snapshot-attributes:progress' in x,
    ]),
    [[created.id, false, false]],
  );
  const detail = await k.req('GET', '/v3/admin/snapshots/detail', undefined, mv('3.65'));
  assert.equal(detail.body.snapshots[0].user_id, 'admin');
  assert.equal(detail.body.snapshots[0]['os-extended-snapshot-attributes:progress'], '100%');

  const u = await k.req('PUT', `/v3/admin/snapshots/${created.id}`, {
    snapshot: { name: ' renamed ', display_name: 'ignored', description: 'new' },
  });
  assert.equal(u.status, 200);
  assert.equal(u.body.snapshot.name, 'renamed');
  assert.equal(u.body.snapshot.description, 'new');
  const empty = await k.req('PUT', `/v3/admin/snapshots/${created.id}`, { snapshot: {} });
  assert.deepEqual(
    empty.body,
    badRequest(
      'Invalid input for field/attribute snapshot. Value: {}. {} is not valid under any of the given schemas',
    ),
  );

  const del = await k.req('DELETE', `/v3/admin/snapshots/${created.id}`);
  assert.equal(del.status, 202);
  await waitForSnapshotStatus(k, created.id, ['deleted']);
  const gone = await k.req('GET', `/v3/admin/snapshots/${created.id}`);
  assert.deepEqual(gone.body, {
    itemNotFound: { code: 404, message: `Snapshot ${created.id} could not be found.` },
  });
  assert.ok(!existsSync(file), 'the backing file is removed');

  await k.notifications.waitForEvents([
    'snapshot.create.start',
    'snapshot.create.end',
    'snapshot.update.start',
    'snapshot.update.end',
    'snapshot.delete.start',
    'snapshot.delete.end',
  ]);
  const end = await k.notifications.waitFor((n) => n.event_type === 'snapshot.create.end');
  assert.match(end.publisher_id, /^snapshot\./);
  assert.deepEqual(
    {
      snapshot_id: end.payload.snapshot_id,
      volume_id: end.payload.volume_id,
      volume_size: end.payload.volume_size,
      status: end.payload.status,
      metadata: end.payload.metadata,
      deleted: end.payload.deleted,
      availability_zone: end.payload.availability_zone,
    },
    {
      snapshot_id: created.id,
      volume_id: v.id,
      volume_size: 2,
      status: 'available',
      metadata: "{'a': 'b'}",
      deleted: '',
      availability_zone: 'nova',
    },
  );
  const delEnd = await k.notifications.waitFor((n) => n.event_type === 'snapshot.delete.end');
  assert.equal(delEnd.payload.status, 'deleted');
  assert.equal(delEnd.payload.deleted, 'True');
});

test('snapshot create: body validation and the volume states Cinder refuses', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const post = (snapshot: unknown, version = '3.0') =>
    k.req('POST', '/v3/admin/snapshots', { snapshot }, mv(version));

  assert.deepEqual(
    (await post({ volume_id: v.id, x: 1 })).body,
    badRequest(
      `Invalid input for field/attribute snapshot. Value: {'volume_id': '${v.id}', 'x': 1}. Additional properties are not allowed ('x' was unexpected)`,
    ),
  );
  assert.deepEqual(
    (await post({})).body,
    badRequest("Invalid input for field/attribute snapshot. Value: {}. 'volume_id' is a required property"),
  );
  assert.deepEqual(
    (await post({ volume_id: 'abc' })).body,
    badRequest(
      "Invalid input for field/attribute volume_id. Value: abc. 'abc' is not valid under any of the given schemas",
    ),
  );
  assert.deepEqual(
    (await post({ volume_id: v.id, metadata: { a: 1 } })).body,
    badRequest("Invalid input for field/attribute a. Value: 1. 1 is not of type 'string'"),
  );
  const nullVolume = await post({ volume_id: null });
  assert.deepEqual(nullVolume.body, {
    itemNotFound: { code: 404, message: 'Volume None could not be found.' },
  });
  const missing = await post({ volume_id: ZERO_UUID });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.itemNotFound.message, `Volume ${ZERO_UUID} could not be found.`);
  assert.deepEqual(
    (await post({ volume_id: v.id, force: false }, '3.66')).body,
    badRequest(
      "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.",
    ),
  );

  const refused = async (
    values: Record<string, unknown>,
    message: string,
    body: Record<string, unknown> = {},
  ) => {
    await setVolume(k, v.id, values);
    const r = await post({ volume_id: v.id, ...body });
    assert.deepEqual(r.body, badRequest(`Invalid volume: ${message}`), JSON.stringify(values));
  };
  await refused({ status: 'error' }, 'The snapshot cannot be created when the volume is in error status.');
  await refused(
    { status: 'maintenance' },
    'The snapshot cannot be created when the volume is in maintenance mode.',
  );
  await refused(
    { status: 'creating' },
    `Volume ${v.id} status must be available, but current status is: creating.`,
  );
  await refused(
    { status: 'creating' },
    `Volume ${v.id} status must be available, in-use, but current status is: creating.`,
    { force: true },
  );
  await refused(
    { status: 'available', migration_status: 'migrating' },
    'Snapshot cannot be created while volume is migrating.',
  );
  const host = (await k.db.selectFrom('volumes').select('host').where('id', '=', v.id).executeTakeFirst())!
    .host;
  await refused(
    { migration_status: null, host: null },
    'The snapshot cannot be created because volume has not been scheduled to any host.',
  );

  // An in-use volume: refused without force before 3.66, accepted with force or from 3.66 on.
  await refused(
    { host, status: 'in-use' },
    `Volume ${v.id} status must be available, but current status is: in-use.`,
  );
  const forced = await post({ volume_id: v.id, force: 'true' });
  assert.equal(forced.status, 202, forced.text);
  const inUse = await post({ volume_id: v.id }, '3.66');
  assert.equal(inUse.status, 202, inUse.text);
  const forcedNew = await post({ volume_id: v.id, force: true }, '3.66');
  assert.equal(forcedNew.status, 202, forcedNew.text);
  for (const r of [forced, inUse, forcedNew])
    await waitForSnapshotStatus(k, r.body.snapshot.id, ['available']);
});

test('snapshot delete, actions and volume delete: statuses and answers as Cinder gives them', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const s = await availableSnapshot(k, v.id);
  const action = (body: unknown, id = s.id) => k.req('POST', `/v3/admin/snapshots/${id}/action`, body);

  assert.deepEqual(
    (await action({ 'os-reset_status': { status: 'bogus', x: 1 } })).body,
    badRequest(
      "Snapshot status: bogus is invalid, valid statuses are: ('error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'error_deleting', 'unmanaging', 'backing-up', 'restoring').",
    ),
  );
  assert.deepEqual(
    (await action({ 'os-reset_status': { status: 1 } })).body,
    badRequest("Invalid input for field/attribute status. Value: 1. 1 is not of type 'string'"),
  );
  assert.deepEqual(
    (await action({ 'os-reset_status': {} })).body,
    badRequest(
      "Invalid input for field/attribute os-reset_status. Value: {}. 'status' is a required property",
    ),
  );
  assert.deepEqual(
    (await action({ 'os-bogus': {} })).body,
    badRequest(
      'There is no such action: os-bogus. Verify the request body and Content-Type header and try again.',
    ),
  );
  assert.deepEqual((await action({ a: {}, b: {} })).body, badRequest('Malformed request body'));
  assert.deepEqual(
    (await action(undefined)).body,
    badRequest(
      'There is no such action: None. Verify the request body and Content-Type header and try again.',
    ),
  );
  const missing = await action({ 'os-reset_status': { status: 'error' } }, ZERO_UUID);
  assert.equal(missing.body.itemNotFound.message, `Snapshot ${ZERO_UUID} could not be found.`);

  // update_snapshot_status: only from creating/deleting, to the statuses Cinder allows.
  assert.deepEqual(
    (await action({ 'os-update_snapshot_status': { status: 'available' } })).body,
    badRequest('Snapshot status available not allowed for update_snapshot_status'),
  );
  assert.equal((await action({ 'os-reset_status': { status: 'CREATING' } })).status, 202);
  assert.equal((await waitForSnapshotStatus(k, s.id, ['creating'])).status, 'creating');
  assert.deepEqual(
    (await action({ 'os-update_snapshot_status': { status: 'deleting' } })).body,
    badRequest('Provided snapshot status deleting not allowed for snapshot with status creating.'),
  );
  for (const [progress, message] of [
    ['50', 'progress must be an integer percentage between 0 and 100'],
    ['x%', 'progress must be an integer percentage'],
    ['101%', 'progress must be an integer percentage between 0 and 100'],
  ]) {
    const r = await action({ 'os-update_snapshot_status': { status: 'available', progress } });
    assert.deepEqual(r.body, badRequest(`Invalid input received: ${message}`), progress);
  }

  // A creating snapshot cannot be deleted; its volume cannot be deleted while it has snapshots.
  const del = await k.req('DELETE', `/v3/admin/snapshots/${s.id}`);
  assert.deepEqual(
    del.body,
    badRequest(
      'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.',
    ),
  );
  const volDel = await k.req('DELETE', `/v3/admin/volumes/${v.id}`);
  assert.deepEqual(
    volDel.body,
    badRequest(
      'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    ),
  );
  const volForce = await k.req('DELETE', `/v3/admin/volumes/${v.id}?force=true`, undefined, mv('3.23'));
  assert.deepEqual(
    volForce.body,
    badRequest(
      'Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    ),
  );

  const progress = await action({ 'os-update_snapshot_status': { status: 'available', progress: '90%' } });
  assert.equal(progress.status, 202);
  const after = await k.req('GET', `/v3/admin/snapshots/${s.id}`);
  assert.equal(after.body.snapshot.status, 'available');
  assert.equal(after.body.snapshot['os-extended-snapshot-attributes:progress'], '90%');

  // os-force_delete removes a snapshot whatever its status.
  assert.equal((await action({ 'os-reset_status': { status: 'creating' } })).status, 202);
  assert.equal((await action({ 'os-force_delete': {} })).status, 202);
  await waitForSnapshotStatus(k, s.id, ['deleted']);
  const volNow = await k.req('DELETE', `/v3/admin/volumes/${v.id}`);
  assert.equal(volNow.status, 202, volNow.text);
});

test('snapshot metadata: create merges, update-all replaces, items, and Cinder checks', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const s = await availableSnapshot(k, v.id, { metadata: { a: 'b' } });
  const base = `/v3/admin/snapshots/${s.id}/metadata`;
  assert.deepEqual((await k.req('POST', base, { metadata: { k: 'v' } })).body, {
    metadata: { a: 'b', k: 'v' },
  });
  assert.deepEqual((await k.req('GET', base)).body, { metadata: { a: 'b', k: 'v' } });
  assert.deepEqual((await k.req('GET', `${base}/k`)).body, { meta: { k: 'v' } });
  assert.deepEqual((await k.req('PUT', `${base}/k`, { meta: { k: 'v2' } })).body, { meta: { k: 'v2' } });
  assert.deepEqual(
    (await k.req('PUT', `${base}/k`, { meta: { k: 'v2', j: 'x' } })).body,
    badRequest('Request body contains too many items'),
  );
  assert.deepEqual(
    (await k.req('PUT', `${base}/k`, { meta: { j: 'x' } })).body,
    badRequest('Request body and URI mismatch'),
  );
  assert.deepEqual(
    (await k.req('POST', base, { meta: { k: 'v' } })).body,
    badRequest("Missing required element 'metadata' in request body."),
  );
  assert.deepEqual(
    (await k.req('POST', base, { metadata: 'x' })).body,
    badRequest("Missing required element 'metadata' in request body."),
  );
  assert.deepEqual(
    (await k.req('POST', base, { metadata: { k: 1 } })).body,
    badRequest(
      'Invalid metadata: Invalid input received: Value for metadata key: k is not a string or unicode',
    ),
  );
  assert.deepEqual(
    (await k.req('POST', base, { metadata: { '': 'v' } })).body,
    badRequest('Invalid metadata: Invalid input received: Metadata key:  has 0 characters, less than 1.'),
  );
  const long = await k.req('POST', base, { metadata: { k: 'x'.repeat(256) } });
  assert.deepEqual(long.body, {
    overLimit: {
      code: 413,
      message: 'Invalid metadata size: Metadata property key k value greater than 255 characters.',
    },
  });
  const noKey = `Snapshot ${s.id} has no metadata with key nope.`;
  assert.deepEqual((await k.req('GET', `${base}/nope`)).body, {
    itemNotFound: { code: 404, message: noKey },
  });
  assert.deepEqual((await k.req('DELETE', `${base}/nope`)).body, {
    itemNotFound: { code: 404, message: noKey },
  });
  assert.equal((await k.req('DELETE', `${base}/k`)).status, 200);
  assert.deepEqual((await k.req('PUT', base, { metadata: { z: '1' } })).body, { metadata: { z: '1' } });
  assert.deepEqual((await k.req('GET', `/v3/admin/snapshots/${s.id}`)).body.snapshot.metadata, { z: '1' });
});

test('snapshot lists: filters, sort, pagination, with_count and projects', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v1 = await availableVolume(k);
  const v2 = await availableVolume(k, {}, 'other');
  const a = await availableSnapshot(k, v1.id, { name: 'alpha', metadata: { tier: 'gold' } });
  const b = await availableSnapshot(k, v1.id, { name: 'beta' });
  const c = await availableSnapshot(k, v2.id, { name: 'gamma' }, 'other');
  const ids = async (query: string, version = '3.70', project = 'admin') => {
    const r = await k.req('GET', `/v3/${project}/snapshots${query}`, undefined, {
      ...mv(version),
      'x-auth-token': `${project}:${project}`,
    });
    assert.equal(r.status, 200, r.text);
    return r.body.snapshots.map((x: any) => x.id);
  };
  assert.deepEqual(await ids(''), [b.id, a.id], 'own project, newest first');
  assert.deepEqual(await ids('?all_tenants=1'), [c.id, b.id, a.id]);
  assert.deepEqual(await ids('?name=alpha'), [a.id]);
  assert.deepEqual(await ids(`?volume_id=${v1.id}&sort=name:asc`), [a.id, b.id]);
  assert.deepEqual(await ids("?metadata={'tier':'gold'}"), [a.id]);
  assert.deepEqual(await ids("?metadata={'tier':'gold'}", '3.21'), [b.id, a.id], 'metadata filter from 3.22');
  assert.deepEqual(await ids('?name~=lph'), [a.id]);
  assert.deepEqual(await ids('?status=error'), []);
  assert.deepEqual(await ids('?bogus=1'), [], 'an admin filter naming no column matches nothing');
  assert.deepEqual(await ids('?sort=created_at:asc&limit=1'), [a.id]);
  assert.deepEqual(await ids(`?sort=created_at:asc&marker=${a.id}`), [b.id]);

  const page = await k.req('GET', '/v3/admin/snapshots?limit=1&with_count=true', undefined, mv('3.45'));
  assert.equal(page.body.count, 2);
  assert.match(page.body.snapshots_links[0].href, new RegExp(`marker=${page.body.snapshots[0].id}`));
  const bad = async (query: string, message: string, version = '3.70') => {
    const r = await k.req('GET', `/v3/admin/snapshots${query}`, undefined, mv(version));
    assert.deepEqual(r.body, badRequest(message), query);
  };
  await bad('?sort=bogus', 'Invalid input received: Invalid sort key');
  await bad('?sort=name', 'Invalid input received: Invalid sort key', '3.29');
  await bad('?sort=name:up', "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.");
  await bad('?with_count=maybe', "Value 'maybe' for 'with_count' is not a boolean.");
  const marker = await k.req('GET', `/v3/admin/snapshots?marker=${ZERO_UUID}`);
  assert.deepEqual(marker.body, {
    itemNotFound: { code: 404, message: `Snapshot ${ZERO_UUID} could not be found.` },
  });
});
