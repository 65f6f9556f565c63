/**
 * Generic volume groups (`/groups`, `/group_snapshots`): a group is placed on a backend that takes
 * its volume types, its volumes live there, volumes move in and out, a group snapshot snapshots
 * them all, a group is made from a group snapshot or another group, and deleting a group deletes
 * its volumes — the paths Tempest's group tests walk, with Cinder's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mv,
  startTestKindling,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';

const V = mv('3.20');

const TWO_BACKENDS = {
  KINDLING__DEFAULT__enabled_backends: 'alpha,beta',
  KINDLING__alpha__volume_driver: 'file',
  KINDLING__beta__volume_driver: 'file',
};

async function start(t: { after(fn: () => Promise<void>): void }): Promise<TestKindling> {
  const k = await startTestKindling(TWO_BACKENDS);
  t.after(() => k.close());
  return k;
}

async function post(k: TestKindling, url: string, body: unknown, status = 202): Promise<any> {
  const r = await k.req('POST', url, body, V);
  assert.equal(r.status, status, r.text);
  return r.body;
}

async function volumeType(
  k: TestKindling,
  name: string,
  specs: Record<string, string> = {},
): Promise<string> {
  return (await post(k, '/v3/admin/types', { volume_type: { name, extra_specs: specs } }, 200)).volume_type
    .id;
}

async function groupType(k: TestKindling, name: string): Promise<string> {
  return (await post(k, '/v3/admin/group_types', { group_type: { name } })).group_type.id;
}

async function groupStatus(k: TestKindling, id: string): Promise<string | number> {
  const r = await k.req('GET', `/v3/admin/groups/${id}`, undefined, V);
  return r.status === 200 ? r.body.group.status : r.status;
}

async function waitGroup(k: TestKindling, id: string, status: string | number): Promise<void> {
  await waitFor(async () => (await groupStatus(k, id)) === status, 20_000).catch(async () => {
    throw new Error(`group ${id} is ${await groupStatus(k, id)}, not ${status}`);
  });
}

async function availableGroup(k: TestKindling, types: string[], gt: string): Promise<any> {
  const g = (await post(k, '/v3/admin/groups', { group: { name: 'g', group_type: gt, volume_types: types } }))
    .group;
  await waitGroup(k, g.id, 'available');
  return (await k.req('GET', `/v3/admin/groups/${g.id}`, undefined, V)).body.group;
}

async function volumeIn(k: TestKindling, groupId: string, type: string): Promise<any> {
  const r = await post(k, '/v3/admin/volumes', { volume: { size: 1, volume_type: type, group_id: groupId } });
  assert.equal(r.volume.group_id, groupId);
  return waitForVolumeStatus(k, r.volume.id, ['available']);
}

const groupVolumeIds = async (k: TestKindling, groupId: string) =>
  (await k.req('GET', '/v3/admin/volumes/detail', undefined, V)).body.volumes
    .filter((v: any) => v.group_id === groupId)
    .map((v: any) => v.id)
    .sort();

test('a group is placed where all its volume types fit; its volumes live there', async (t) => {
  const k = await start(t);
  const onBeta = await volumeType(k, 'on-beta', { volume_backend_name: 'beta' });
  const gt = await groupType(k, 'gt');
  const g = await availableGroup(k, [onBeta], gt);
  assert.deepEqual(
    { ...g, id: undefined, created_at: undefined },
    {
      id: undefined,
      created_at: undefined,
      status: 'available',
      availability_zone: 'nova',
      name: 'g',
      description: null,
      group_type: gt,
      volume_types: [onBeta],
      group_snapshot_id: null,
      source_group_id: null,
    },
  );
  const row = await k.db
    .selectFrom('groups')
    .select(['host'])
    .where('id', '=', g.id)
    .executeTakeFirstOrThrow();
  assert.match(row.host ?? '', /@beta#/);
  const v = await volumeIn(k, g.id, onBeta);
  const shown = (await k.req('GET', `/v3/admin/volumes/${v.id}`, undefined, V)).body.volume;
  assert.equal(shown.group_id, g.id);
  assert.match(shown['os-vol-host-attr:host'], /@beta#/);

  // 3.25: the group lists its volumes when asked.
  const listed = await k.req('GET', `/v3/admin/groups/${g.id}?list_volume=true`, undefined, mv('3.25'));
  assert.deepEqual(listed.body.group.volumes, [v.id]);

  // Types that share no backend: nowhere to place the group.
  const onAlpha = await volumeType(k, 'on-alpha', { volume_backend_name: 'alpha' });
  const split = (
    await post(k, '/v3/admin/groups', { group: { group_type: gt, volume_types: [onAlpha, onBeta] } })
  ).group;
  await waitGroup(k, split.id, 'error');
});

test("volumes in a group: the type must be the group's; they are deleted only with the group", async (t) => {
  const k = await start(t);
  const vt = await volumeType(k, 'vt');
  const other = await volumeType(k, 'other');
  const gt = await groupType(k, 'gt');
  const g = await availableGroup(k, [vt], gt);
  const wrong = await k.req(
    'POST',
    '/v3/admin/volumes',
    { volume: { size: 1, volume_type: other, group_id: g.id } },
    V,
  );
  assert.deepEqual(wrong.body, {
    badRequest: {
      code: 400,
      message: `Invalid input received: Invalid volume_type provided: ${other} (requested type must be supported by this group).`,
    },
  });
  const missing = await k.req(
    'POST',
    '/v3/admin/volumes',
    { volume: { size: 1, volume_type: vt, group_id: '00000000-0000-0000-0000-000000000000' } },
    V,
  );
  assert.equal(missing.status, 404);
  const v = await volumeIn(k, g.id, vt);
  const del = await k.req('DELETE', `/v3/admin/volumes/${v.id}`, undefined, V);
  assert.equal(del.status, 400);
  assert.match(del.body.badRequest.message, /belong to a group/);

  // Without delete-volumes a group with volumes stays; with it, both go.
  const keep = await k.req(
    'POST',
    `/v3/admin/groups/${g.id}/action`,
    { delete: { 'delete-volumes': false } },
    V,
  );
  assert.deepEqual(keep.body, {
    badRequest: {
      code: 400,
      message: `Invalid Group: Group ${g.id} still contains volumes. The delete-volumes flag is required to delete it.`,
    },
  });
  await post(k, `/v3/admin/groups/${g.id}/action`, { delete: { 'delete-volumes': true } });
  await waitGroup(k, g.id, 404);
  assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`, undefined, V)).status, 404);
  // NOTE: polled: once in a distributed CI run `volumes` read 1 here (not reproduced since).
  let usage: any;
  await waitFor(async () => {
    usage = (await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set;
    return usage.groups.in_use === 0 && usage.volumes.in_use === 0;
  }, 10_000).catch(() => undefined);
  assert.equal(usage.groups.in_use, 0);
  assert.equal(usage.volumes.in_use, 0);
});

test('update: name, description, and volumes out of and back into the group', async (t) => {
  const k = await start(t);
  const vt = await volumeType(k, 'vt');
  const gt = await groupType(k, 'gt');
  const g = await availableGroup(k, [vt], gt);
  const [a, b] = [await volumeIn(k, g.id, vt), await volumeIn(k, g.id, vt)];
  const put = await k.req(
    'PUT',
    `/v3/admin/groups/${g.id}`,
    { group: { name: 'new_group', description: 'This is a new group', remove_volumes: b.id } },
    V,
  );
  assert.equal(put.status, 202, put.text);
  await waitGroup(k, g.id, 'available');
  const shown = (await k.req('GET', `/v3/admin/groups/${g.id}`, undefined, V)).body.group;
  assert.equal(shown.name, 'new_group');
  assert.equal(shown.description, 'This is a new group');
  assert.deepEqual(await groupVolumeIds(k, g.id), [a.id]);

  await k.req('PUT', `/v3/admin/groups/${g.id}`, { group: { add_volumes: b.id } }, V);
  await waitGroup(k, g.id, 'available');
  assert.deepEqual(await groupVolumeIds(k, g.id), [a.id, b.id].sort());

  const both = await k.req(
    'PUT',
    `/v3/admin/groups/${g.id}`,
    { group: { add_volumes: a.id, remove_volumes: a.id } },
    V,
  );
  assert.deepEqual(both.body, {
    badRequest: {
      code: 400,
      message: `Invalid volume: UUIDs ['${a.id}'] are in both add and remove volume list.`,
    },
  });
  const nothing = await k.req('PUT', `/v3/admin/groups/${g.id}`, { group: { name: 'new_group' } }, V);
  assert.match(
    nothing.body.badRequest.message,
    /because no valid name, description, add_volumes, or remove_volumes/,
  );
});

test('group snapshots: one snapshot per volume; a group made from it, or from the group', async (t) => {
  const k = await start(t);
  const vt = await volumeType(k, 'vt');
  const gt = await groupType(k, 'gt');
  const g = await availableGroup(k, [vt], gt);
  const vol = await volumeIn(k, g.id, vt);
  const gs = (await post(k, '/v3/admin/group_snapshots', { group_snapshot: { group_id: g.id, name: 'gs1' } }))
    .group_snapshot;
  assert.equal(gs.name, 'gs1');
  assert.equal(gs.group_type_id, gt);
  await waitFor(async () => {
    const r = await k.req('GET', `/v3/admin/group_snapshots/${gs.id}`, undefined, V);
    return r.body.group_snapshot.status === 'available';
  }, 20_000);
  const snaps = (await k.req('GET', '/v3/admin/snapshots/detail', undefined, V)).body.snapshots;
  assert.equal(snaps.length, 1);
  assert.equal(snaps[0].volume_id, vol.id);
  assert.equal(snaps[0].group_snapshot_id, gs.id);
  assert.equal(snaps[0].status, 'available');
  // A group snapshot's member snapshot goes only with the group snapshot.
  assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${snaps[0].id}`, undefined, V)).status, 400);
  // A group with snapshots cannot be deleted.
  const busy = await k.req(
    'POST',
    `/v3/admin/groups/${g.id}/action`,
    { delete: { 'delete-volumes': true } },
    V,
  );
  assert.deepEqual(busy.body, {
    badRequest: { code: 400, message: 'Invalid Group: Group has existing snapshots.' },
  });

  const fromSnap = (
    await post(k, '/v3/admin/groups/action', { 'create-from-src': { group_snapshot_id: gs.id, name: 'g2' } })
  ).group;
  assert.equal(fromSnap.name, 'g2');
  await waitGroup(k, fromSnap.id, 'available');
  const made = await groupVolumeIds(k, fromSnap.id);
  assert.equal(made.length, 1);
  const copy = (await k.req('GET', `/v3/admin/volumes/${made[0]}`, undefined, V)).body.volume;
  assert.equal(copy.status, 'available');
  assert.equal(copy.snapshot_id, snaps[0].id);

  const fromGroup = (
    await post(k, '/v3/admin/groups/action', { 'create-from-src': { source_group_id: g.id } })
  ).group;
  await waitGroup(k, fromGroup.id, 'available');
  const clones = await groupVolumeIds(k, fromGroup.id);
  assert.equal(
    (await k.req('GET', `/v3/admin/volumes/${clones[0]}`, undefined, V)).body.volume.source_volid,
    vol.id,
  );

  // Deleting the group snapshot deletes its snapshots.
  assert.equal((await k.req('DELETE', `/v3/admin/group_snapshots/${gs.id}`, undefined, V)).status, 202);
  await waitFor(
    async () => (await k.req('GET', `/v3/admin/group_snapshots/${gs.id}`, undefined, V)).status === 404,
    20_000,
  );
  assert.equal((await k.req('GET', `/v3/admin/snapshots/${snaps[0].id}`, undefined, V)).status, 404);
});

test("reset_status of groups (3.20) and group snapshots (3.19), with Cinder's checks", async (t) => {
  const k = await start(t);
  const vt = await volumeType(k, 'vt');
  const gt = await groupType(k, 'gt');
  const g = await availableGroup(k, [vt], gt);
  for (const status of ['creating', 'available', 'error']) {
    await post(k, `/v3/admin/groups/${g.id}/action`, { reset_status: { status } });
    assert.equal(await groupStatus(k, g.id), status);
  }
  const bad = await k.req(
    'POST',
    `/v3/admin/groups/${g.id}/action`,
    { reset_status: { status: 'bogus' } },
    V,
  );
  assert.deepEqual(bad.body, {
    badRequest: {
      code: 400,
      message:
        "Invalid Group Status: Group status: bogus is invalid, valid status are: ('error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'in-use', 'error_deleting').",
    },
  });
  const early = await k.req(
    'POST',
    `/v3/admin/groups/${g.id}/action`,
    { reset_status: { status: 'error' } },
    mv('3.19'),
  );
  assert.equal(early.status, 404);

  await post(k, `/v3/admin/groups/${g.id}/action`, { reset_status: { status: 'available' } });
  await volumeIn(k, g.id, vt);
  const gs = (await post(k, '/v3/admin/group_snapshots', { group_snapshot: { group_id: g.id } }))
    .group_snapshot;
  const gsStatus = async () =>
    (await k.req('GET', `/v3/admin/group_snapshots/${gs.id}`, undefined, V)).body.group_snapshot.status;
  await waitFor(async () => (await gsStatus()) === 'available', 20_000);
  for (const status of ['creating', 'available', 'error']) {
    await post(k, `/v3/admin/group_snapshots/${gs.id}/action`, { reset_status: { status } });
    assert.equal(await gsStatus(), status);
  }
});
