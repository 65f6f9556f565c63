/**
 * `/group_types` and their `group_specs` (3.11+): what an admin makes, changes and deletes, what
 * lists show (sorted, public/private), and Cinder's errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, type TestKindling } from '../support/kindling.js';

const V = mv('3.11');

async function start(t: { after(fn: () => Promise<void>): void }): Promise<TestKindling> {
  const k = await startTestKindling();
  t.after(() => k.close());
  return k;
}

async function createType(k: TestKindling, body: Record<string, unknown>): Promise<any> {
  const r = await k.req('POST', '/v3/admin/group_types', { group_type: body }, V);
  assert.equal(r.status, 202, r.text);
  return r.body.group_type;
}

test('create, show, update, list and delete a group type', async (t) => {
  const k = await start(t);
  const created = await createType(k, {
    name: 'gt1',
    description: 'first',
    group_specs: { consistent_group_snapshot_enabled: '<is> False' },
    is_public: true,
  });
  assert.deepEqual(
    { ...created, id: undefined },
    {
      id: undefined,
      name: 'gt1',
      description: 'first',
      is_public: true,
      group_specs: { consistent_group_snapshot_enabled: '<is> False' },
    },
  );
  const updated = await k.req(
    'PUT',
    `/v3/admin/group_types/${created.id}`,
    { group_type: { name: 'gt1-renamed', description: 'changed' } },
    V,
  );
  assert.equal(updated.status, 200, updated.text);
  assert.equal(updated.body.group_type.name, 'gt1-renamed');
  assert.equal(updated.body.group_type.description, 'changed');
  const shown = await k.req('GET', `/v3/admin/group_types/${created.id}`, undefined, V);
  assert.deepEqual(shown.body.group_type, { ...created, name: 'gt1-renamed', description: 'changed' });

  // Cinder's seeded `default_cgsnapshot_type` (consistency groups) is listed too, oldest last.
  assert.deepEqual(
    (await k.req('GET', '/v3/admin/group_types', undefined, V)).body.group_types.map((g: any) => g.name),
    ['gt1-renamed', 'default_cgsnapshot_type'],
  );
  const del = await k.req('DELETE', `/v3/admin/group_types/${created.id}`, undefined, V);
  assert.equal(del.status, 202);
  assert.deepEqual(
    (await k.req('GET', '/v3/admin/group_types', undefined, V)).body.group_types.map((g: any) => g.name),
    ['default_cgsnapshot_type'],
  );
  assert.deepEqual((await k.req('GET', `/v3/admin/group_types/${created.id}`, undefined, V)).body, {
    itemNotFound: { code: 404, message: `Group type ${created.id} could not be found.` },
  });
});

test('lists sort by name and filter on is_public (admin)', async (t) => {
  const k = await start(t);
  await createType(k, { name: 'a_type', is_public: true });
  await createType(k, { name: 'b_type', is_public: false });
  const names = async (q: string) =>
    (await k.req('GET', `/v3/admin/group_types?${q}`, undefined, V)).body.group_types.map((g: any) => g.name);
  // With Cinder's seeded (public) `default_cgsnapshot_type`.
  const cg = 'default_cgsnapshot_type';
  assert.deepEqual(await names('sort=name:asc&is_public=None'), ['a_type', 'b_type', cg]);
  assert.deepEqual(await names('sort=name:desc&is_public=None'), [cg, 'b_type', 'a_type']);
  assert.deepEqual(await names('is_public=False'), ['b_type']);
  assert.deepEqual(await names('is_public=True'), ['a_type', cg]);
  // No filter: public ones only, as Cinder.
  assert.deepEqual(await names(''), ['a_type', cg]);
});

test('group specs: create, update, show, list and delete one by one', async (t) => {
  const k = await start(t);
  const { id } = await createType(k, { name: 'spec-type' });
  const base = `/v3/admin/group_types/${id}/group_specs`;
  const created = await k.req('POST', base, { group_specs: { key1: 'value1', key2: 'value2' } }, V);
  assert.equal(created.status, 202);
  assert.deepEqual(created.body, { group_specs: { key1: 'value1', key2: 'value2' } });
  await k.req('POST', base, { group_specs: { key2: 'value2-updated', key3: 'value3' } }, V);
  assert.deepEqual((await k.req('GET', `${base}/key2`, undefined, V)).body, { key2: 'value2-updated' });
  const put = await k.req('PUT', `${base}/key3`, { key3: 'value3-updated' }, V);
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, { key3: 'value3-updated' });
  assert.deepEqual((await k.req('GET', base, undefined, V)).body, {
    group_specs: { key1: 'value1', key2: 'value2-updated', key3: 'value3-updated' },
  });
  assert.deepEqual((await k.req('PUT', `${base}/key3`, { other: 'x' }, V)).body, {
    badRequest: { code: 400, message: 'Request body and URI mismatch' },
  });
  for (const key of ['key1', 'key2', 'key3']) {
    assert.equal((await k.req('DELETE', `${base}/${key}`, undefined, V)).status, 202);
    assert.deepEqual((await k.req('GET', `${base}/${key}`, undefined, V)).body, {
      itemNotFound: { code: 404, message: `Group Type ${id} has no extra spec with key ${key}.` },
    });
  }
  assert.deepEqual((await k.req('DELETE', `${base}/key1`, undefined, V)).body, {
    itemNotFound: { code: 404, message: `Group Type ${id} has no specs with key key1.` },
  });
});

test('errors: duplicate name, empty update, the default type, before 3.11', async (t) => {
  const k = await start(t);
  const { id } = await createType(k, { name: 'dup' });
  const again = await k.req('POST', '/v3/admin/group_types', { group_type: { name: 'dup' } }, V);
  assert.deepEqual(again.body, {
    conflictingRequest: { code: 409, message: 'Group Type dup already exists.' },
  });
  const empty = await k.req('PUT', `/v3/admin/group_types/${id}`, { group_type: {} }, V);
  assert.deepEqual(empty.body, {
    badRequest: { code: 400, message: 'Specify group type name, description or a combination thereof.' },
  });
  assert.deepEqual((await k.req('GET', '/v3/admin/group_types/default', undefined, V)).body, {
    itemNotFound: { code: 404, message: 'Default group type can not be found.' },
  });
  assert.equal((await k.req('GET', '/v3/admin/group_types', undefined, mv('3.10'))).status, 404);
});
