/**
 * The legacy consistency group APIs as Cinder Zed routes them (`/consistencygroups`,
 * `/cgsnapshots`): over the generic group API, with the `default_cgsnapshot_type` group type seeded;
 * the generic APIs refuse groups of that type; no backend supports consistency groups, so one ends
 * in `error`, as in Cinder with a driver that has none. Cinder's texts for every refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, waitFor, type TestKindling } from '../support/kindling.js';

const MALFORMED =
  'The server could not comply with the request since it is either malformed or otherwise incorrect.';
const bad = (message: string) => ({ badRequest: { code: 400, message } });
const notFound = (message: string) => ({ itemNotFound: { code: 404, message } });

const k: TestKindling = await startTestKindling();
test.after(() => k.close());

const req = (method: string, url: string, body?: unknown, version = '3.20') =>
  k.req(method, `/v3/admin${url}`, body, mv(version));

async function ok(method: string, url: string, body?: unknown, status = 202): Promise<any> {
  const r = await req(method, url, body);
  assert.equal(r.status, status, `${method} ${url}: ${r.text}`);
  return r.body;
}

const volumeType = (await ok('POST', '/types', { volume_type: { name: 'cg-type' } }, 200)).volume_type;
const genericType = (await ok('POST', '/group_types', { group_type: { name: 'generic' } })).group_type;

async function groupStatus(id: string): Promise<string | number> {
  const r = await req('GET', `/consistencygroups/${id}`);
  return r.status === 200 ? r.body.consistencygroup.status : r.status;
}
async function waitStatus(id: string, status: string | number): Promise<void> {
  await waitFor(async () => (await groupStatus(id)) === status, 20_000).catch(async () => {
    throw new Error(`group ${id} is ${await groupStatus(id)}, not ${status}`);
  });
}

test('the default_cgsnapshot_type group type is there, as Cinder seeds it', async () => {
  const types = (await ok('GET', '/group_types', undefined, 200)).group_types;
  const cg = types.find((t: any) => t.name === 'default_cgsnapshot_type');
  assert.deepEqual(cg && { ...cg, id: 'x' }, {
    id: 'x',
    name: 'default_cgsnapshot_type',
    description: 'Default group type for migrating cgsnapshot',
    is_public: true,
    group_specs: { consistent_group_snapshot_enabled: '<is> True' },
  });
});

let cgId = '';

test('POST /consistencygroups: a group of the default cgsnapshot type; no backend supports it, so it ends in error', async () => {
  const r = await ok('POST', '/consistencygroups', {
    consistencygroup: { name: ' cg1 ', description: 'first', volume_types: `${volumeType.name},` },
  });
  assert.deepEqual(Object.keys(r), ['consistencygroup']);
  assert.deepEqual(Object.keys(r.consistencygroup).sort(), ['id', 'name']);
  assert.equal(r.consistencygroup.name, 'cg1');
  cgId = r.consistencygroup.id;
  await waitStatus(cgId, 'error');
  const shown = (await ok('GET', `/consistencygroups/${cgId}`, undefined, 200)).consistencygroup;
  assert.deepEqual(
    { ...shown, created_at: typeof shown.created_at },
    {
      id: cgId,
      status: 'error',
      availability_zone: 'nova',
      created_at: 'string',
      name: 'cg1',
      description: 'first',
      volume_types: [volumeType.id],
    },
  );
  const list = (await ok('GET', '/consistencygroups', undefined, 200)).consistencygroups;
  assert.deepEqual(list, [{ id: cgId, name: 'cg1' }]);
  const detail = (await ok('GET', '/consistencygroups/detail', undefined, 200)).consistencygroups;
  assert.deepEqual(detail, [shown]);
  // Its quota is used, as any group's.
  const usage = await ok('GET', '/os-quota-sets/admin?usage=true', undefined, 200);
  assert.equal(usage.quota_set.groups.in_use, 1);
});

test('the generic group APIs refuse consistency groups, and do not list them', async () => {
  const reserved = bad(
    `Group_type ${(await cgType()).id} is reserved for migrating CGs to groups. Migrated group can only be operated by CG APIs.`,
  );
  assert.deepEqual((await req('GET', `/groups/${cgId}`)).body, reserved);
  assert.deepEqual((await req('GET', '/groups')).body, { groups: [] });
  assert.deepEqual((await req('GET', '/groups/detail')).body, { groups: [] });
  assert.deepEqual((await req('PUT', `/groups/${cgId}`, { group: { name: 'x' } })).body, reserved);
  assert.deepEqual(
    (await req('POST', `/groups/${cgId}/action`, { delete: { 'delete-volumes': false } })).body,
    reserved,
  );
  for (const groupType of ['default_cgsnapshot_type', (await cgType()).id]) {
    const r = await req('POST', '/groups', {
      group: { group_type: groupType, volume_types: [volumeType.id] },
    });
    assert.deepEqual(r.body, reserved, groupType);
  }
  const fromSrc = await req('POST', '/groups/action', { 'create-from-src': { source_group_id: cgId } });
  assert.deepEqual(fromSrc.body, reserved);
});

async function cgType(): Promise<any> {
  const types = (await ok('GET', '/group_types', undefined, 200)).group_types;
  return types.find((t: any) => t.name === 'default_cgsnapshot_type');
}

test('POST /consistencygroups refusals, with Cinder texts', async () => {
  const cases: [unknown, number, unknown][] = [
    [undefined, 400, bad(MALFORMED)],
    [{}, 400, bad("Missing required element 'consistencygroup' in request body.")],
    [{ consistencygroup: 'x' }, 400, bad("Missing required element 'consistencygroup' in request body.")],
    [
      { consistencygroup: { name: 'n' } },
      400,
      bad('volume_types must be provided to create consistency group n.'),
    ],
    [
      { consistencygroup: { volume_types: '' } },
      400,
      bad('volume_types must be provided to create consistency group None.'),
    ],
    [
      { consistencygroup: { name: 'x'.repeat(256), volume_types: 't' } },
      400,
      bad('Invalid input received: name has 256 characters, more than 255.'),
    ],
    [
      { consistencygroup: { description: 5, volume_types: 't' } },
      400,
      bad('Invalid input received: description is not a string or unicode'),
    ],
    [{ consistencygroup: { volume_types: ['t'] } }, 400, bad(MALFORMED)],
    [
      { consistencygroup: { volume_types: 'no-such-type' } },
      404,
      notFound('Volume type with name no-such-type could not be found.'),
    ],
  ];
  for (const [body, status, answer] of cases) {
    const r = await req('POST', '/consistencygroups', body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.deepEqual(r.body, answer, JSON.stringify(body));
  }
});

let genericId = '';

test('lists and shows answer any group; PUT updates a group by /{id} (3.6 rules) and /{id}/update', async () => {
  genericId = (
    await ok('POST', '/groups', {
      group: { name: 'g1', group_type: genericType.id, volume_types: [volumeType.id] },
    })
  ).group.id;
  await waitStatus(genericId, 'available');
  const names = (await ok('GET', '/consistencygroups?sort=name:asc', undefined, 200)).consistencygroups.map(
    (g: any) => g.name,
  );
  assert.deepEqual(names, ['cg1', 'g1']);
  const paged = await ok('GET', '/consistencygroups?limit=1&sort=name:asc', undefined, 200);
  assert.deepEqual(
    paged.consistencygroups.map((g: any) => g.name),
    ['cg1'],
  );
  assert.match(paged.consistencygroup_links[0].href, /\/consistencygroups\?.*marker=/);
  assert.deepEqual((await req('GET', '/consistencygroups?name=g1')).body.consistencygroups, [
    { id: genericId, name: 'g1' },
  ]);
  assert.deepEqual((await req('GET', '/consistencygroups?colour=red')).body, { consistencygroups: [] });

  await ok('PUT', `/consistencygroups/${genericId}`, { consistencygroup: { name: 'g1-renamed' } });
  assert.equal(
    (await req('GET', `/consistencygroups/${genericId}`)).body.consistencygroup.name,
    'g1-renamed',
  );
  await ok('PUT', `/consistencygroups/${genericId}/update`, { consistencygroup: { description: 'd' } });
  assert.equal((await req('GET', `/groups/${genericId}`)).body.group.description, 'd');

  const empty36 =
    'Must specify one or more of the following keys to update: name, description, add_volumes, remove_volumes.';
  const emptyOld =
    'Name, description, add_volumes, and remove_volumes can not be all empty in the request body.';
  const cases: [string, unknown, string, number, unknown][] = [
    [`/consistencygroups/${genericId}`, undefined, '3.20', 400, bad(MALFORMED)],
    [`/consistencygroups/${genericId}`, null, '3.20', 400, bad('Missing request body.')],
    [`/consistencygroups/${genericId}`, {}, '3.20', 400, bad('Missing request body.')],
    [
      `/consistencygroups/${genericId}`,
      { x: 1 },
      '3.20',
      400,
      bad("Missing required element 'consistencygroup' in request body."),
    ],
    [`/consistencygroups/${genericId}`, { consistencygroup: {} }, '3.6', 400, bad(empty36)],
    [`/consistencygroups/${genericId}`, { consistencygroup: { name: '' } }, '3.5', 400, bad(emptyOld)],
    [
      `/consistencygroups/${genericId}/update`,
      { consistencygroup: { name: '' } },
      '3.20',
      400,
      bad(emptyOld),
    ],
    [
      `/consistencygroups/nope`,
      { consistencygroup: { name: 'n' } },
      '3.20',
      404,
      notFound('Group nope could not be found.'),
    ],
  ];
  for (const [url, body, version, status, answer] of cases) {
    const r = await req('PUT', url, body, version);
    assert.equal(r.status, status, `${url} ${JSON.stringify(body)} ${version}: ${r.text}`);
    assert.deepEqual(r.body, answer);
  }
  // 3.6+: a blank name is a change.
  await ok('PUT', `/consistencygroups/${genericId}`, { consistencygroup: { name: '' } });
  assert.equal((await req('GET', `/consistencygroups/${genericId}`)).body.consistencygroup.name, '');
});

test('POST /consistencygroups/create_from_src refusals', async () => {
  const cases: [unknown, number, unknown][] = [
    [{}, 400, bad("Missing required element 'consistencygroup-from-src' in request body.")],
    [
      { 'consistencygroup-from-src': { name: 'n' } },
      400,
      bad(
        "Either 'cgsnapshot_id' or 'source_cgid' must be provided to create consistency group n from source.",
      ),
    ],
    [
      { 'consistencygroup-from-src': { cgsnapshot_id: 'a', source_cgid: 'b' } },
      400,
      bad(
        "Cannot provide both 'cgsnapshot_id' and 'source_cgid' to create consistency group None from source.",
      ),
    ],
    [
      { 'consistencygroup-from-src': { source_cgid: 'nope' } },
      404,
      notFound('Group nope could not be found.'),
    ],
    [
      { 'consistencygroup-from-src': { cgsnapshot_id: 'nope' } },
      404,
      notFound('GroupSnapshot nope could not be found.'),
    ],
    [
      { 'consistencygroup-from-src': { source_cgid: genericId } },
      400,
      bad('Invalid Group: Source Group is empty. No group will be created.'),
    ],
  ];
  for (const [body, status, answer] of cases) {
    const r = await req('POST', '/consistencygroups/create_from_src', body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.deepEqual(r.body, answer, JSON.stringify(body));
  }
});

test('cgsnapshots: over group snapshots; a consistency group’s ends in error', async () => {
  const missing = await req('POST', '/cgsnapshots', { cgsnapshot: { name: 's' } });
  assert.deepEqual(missing.body, bad("'consistencygroup_id' must be specified"));
  const noGroup = await req('POST', '/cgsnapshots', { cgsnapshot: { consistencygroup_id: 'nope' } });
  assert.deepEqual(noGroup.body, notFound('Group nope could not be found.'));
  assert.deepEqual(
    (await req('POST', '/cgsnapshots', { x: {} })).body,
    bad("Missing required element 'cgsnapshot' in request body."),
  );

  const snap = (
    await ok('POST', '/cgsnapshots', { cgsnapshot: { consistencygroup_id: genericId, name: 's1' } })
  ).cgsnapshot;
  assert.deepEqual(Object.keys(snap).sort(), ['id', 'name']);
  await waitFor(
    async () => (await req('GET', `/cgsnapshots/${snap.id}`)).body.cgsnapshot.status === 'available',
    20_000,
  );
  const shown = (await ok('GET', `/cgsnapshots/${snap.id}`, undefined, 200)).cgsnapshot;
  assert.deepEqual(
    { ...shown, created_at: typeof shown.created_at },
    {
      id: snap.id,
      consistencygroup_id: genericId,
      status: 'available',
      created_at: 'string',
      name: 's1',
      description: null,
    },
  );

  const cgSnap = (await ok('POST', '/cgsnapshots', { cgsnapshot: { consistencygroup_id: cgId, name: 's2' } }))
    .cgsnapshot;
  await waitFor(
    async () => (await req('GET', `/cgsnapshots/${cgSnap.id}`)).body.cgsnapshot.status === 'error',
    20_000,
  );
  const all = (await ok('GET', '/cgsnapshots?sort=name', undefined, 200)).cgsnapshots;
  assert.deepEqual(all.map((s: any) => s.name).sort(), ['s1', 's2']);
  assert.equal((await ok('GET', '/cgsnapshots?limit=1', undefined, 200)).cgsnapshots.length, 1);
  assert.equal((await ok('GET', '/cgsnapshots?offset=1', undefined, 200)).cgsnapshots.length, 1);
  assert.deepEqual((await req('GET', '/cgsnapshots?limit=x')).body, bad('limit param must be an integer'));
  const detail = (await ok('GET', '/cgsnapshots/detail', undefined, 200)).cgsnapshots;
  assert.deepEqual(detail.map((s: any) => [s.name, s.status, s.consistencygroup_id]).sort(), [
    ['s1', 'available', genericId],
    ['s2', 'error', cgId],
  ]);

  // The generic group snapshot API refuses the consistency group's.
  const reserved = `Group_type ${(await cgType()).id} is reserved for migrating CGs to groups. Migrated group snapshots can only be operated by CG snapshot APIs.`;
  assert.deepEqual((await req('GET', `/group_snapshots/${cgSnap.id}`)).body, bad(reserved));
  assert.deepEqual(
    (await req('GET', '/group_snapshots')).body.group_snapshots.map((s: any) => s.id),
    [snap.id],
  );
  assert.deepEqual(
    (await req('DELETE', `/group_snapshots/${cgSnap.id}`)).body,
    bad(`Error occurred when deleting group snapshot ${cgSnap.id}.`),
  );
  assert.deepEqual(
    (await req('POST', '/group_snapshots', { group_snapshot: { group_id: cgId } })).body,
    bad(
      `Group_type ${(await cgType()).id} is reserved for migrating CGs to groups. Migrated group snapshots can only be operated by CG snapshot APIs.`,
    ),
  );

  await ok('DELETE', `/cgsnapshots/${snap.id}`);
  await waitFor(async () => (await req('GET', `/cgsnapshots/${snap.id}`)).status === 404, 20_000);
  assert.deepEqual(
    (await req('GET', `/cgsnapshots/${snap.id}`)).body,
    notFound(`GroupSnapshot ${snap.id} could not be found.`),
  );
  // The consistency group's, in error, goes to the backend, which cannot delete it either.
  await ok('DELETE', `/cgsnapshots/${cgSnap.id}`);
  await waitFor(
    async () => (await req('GET', `/cgsnapshots/${cgSnap.id}`)).body.cgsnapshot?.status === 'error',
    20_000,
  );
  assert.equal((await req('PUT', `/cgsnapshots/${cgSnap.id}`, { cgsnapshot: {} })).status, 404);
});

test('delete: POST /{id}/delete (and DELETE with a body); a consistency group cannot be deleted by its backend', async () => {
  const cases: [string, string, unknown, number, unknown][] = [
    ['POST', `/consistencygroups/${genericId}/delete`, undefined, 400, bad(MALFORMED)],
    ['DELETE', `/consistencygroups/${genericId}`, undefined, 400, bad(MALFORMED)],
    [
      'POST',
      `/consistencygroups/${genericId}/delete`,
      { x: 1 },
      400,
      bad("Missing required element 'consistencygroup' in request body."),
    ],
    [
      'POST',
      `/consistencygroups/${genericId}/delete`,
      { consistencygroup: { force: 'maybe' } },
      400,
      bad("Invalid value 'False' for force."),
    ],
    ['POST', '/consistencygroups/nope/delete', {}, 404, notFound('Group nope could not be found.')],
    ['DELETE', '/consistencygroups/nope', {}, 404, notFound('Group nope could not be found.')],
    [
      'POST',
      `/consistencygroups/${genericId}/action`,
      { delete: {} },
      404,
      notFound('The resource could not be found.'),
    ],
  ];
  for (const [method, url, body, status, answer] of cases) {
    const r = await req(method, url, body);
    assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(body)}: ${r.text}`);
    assert.deepEqual(r.body, answer);
  }
  // A generic group (no snapshots left) goes; `{}` is no force.
  const snaps = (await ok('GET', '/cgsnapshots/detail', undefined, 200)).cgsnapshots;
  assert.deepEqual(
    snaps.filter((s: any) => s.consistencygroup_id === genericId),
    [],
  );
  await ok('POST', `/consistencygroups/${genericId}/delete`, {});
  await waitStatus(genericId, 404);

  // The consistency group still has its (error) cgsnapshot.
  const refused = await req('POST', `/consistencygroups/${cgId}/delete`, {
    consistencygroup: { force: true },
  });
  assert.deepEqual(refused.body, bad('Invalid Group: Group has existing snapshots.'));
});

test('a consistency group without snapshots: its delete is accepted, and its backend fails it (error)', async () => {
  const cg2 = (await ok('POST', '/consistencygroups', { consistencygroup: { volume_types: volumeType.id } }))
    .consistencygroup;
  assert.equal(cg2.name, null);
  await waitStatus(cg2.id, 'error');
  await ok('POST', `/consistencygroups/${cg2.id}/delete`, { consistencygroup: { force: 'true' } });
  await waitFor(async () => {
    const r = await req('GET', `/consistencygroups/${cg2.id}`);
    return r.body.consistencygroup.status === 'error' && r.body.consistencygroup.id === cg2.id;
  }, 20_000);
  // Still there, in error, as in Cinder with a driver without consistency group support.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await groupStatus(cg2.id), 'error');
});

test('a volume in a consistency group shows it as its consistencygroup_id too (and as group_id, 3.13+)', async () => {
  // A consistency group in error takes no volume (Cinder's create flow); an admin may reset it.
  const refused = await req('POST', '/volumes', {
    volume: { size: 1, volume_type: volumeType.name, consistencygroup_id: cgId },
  });
  assert.deepEqual(
    refused.body,
    bad("Invalid Group: Originating group status must be one of 'available, creating' values"),
  );
  await ok('POST', `/groups/${cgId}/action`, { reset_status: { status: 'available' } });
  const r = await ok('POST', '/volumes', {
    volume: { size: 1, name: 'in-cg', volume_type: volumeType.name, consistencygroup_id: cgId },
  });
  assert.equal(r.volume.consistencygroup_id, cgId);
  assert.equal(r.volume.group_id, cgId);
  const volumeId = r.volume.id;
  await waitFor(
    async () => (await req('GET', `/volumes/${volumeId}`)).body.volume.status === 'available',
    20_000,
  );
  const shown = (await req('GET', `/volumes/${volumeId}`)).body.volume;
  assert.equal(shown.consistencygroup_id, cgId);
  const listed = (await req('GET', '/volumes/detail')).body.volumes.find((v: any) => v.id === volumeId);
  assert.equal(listed.consistencygroup_id, cgId);
  // A volume of a generic group has none.
  const g = (
    await ok('POST', '/groups', {
      group: { name: 'g2', group_type: genericType.id, volume_types: [volumeType.id] },
    })
  ).group;
  await waitStatus(g.id, 'available');
  const inGeneric = await ok('POST', '/volumes', {
    volume: { size: 1, volume_type: volumeType.name, group_id: g.id },
  });
  assert.equal(inGeneric.volume.consistencygroup_id, null);
  assert.equal(inGeneric.volume.group_id, g.id);
});
