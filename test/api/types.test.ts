/**
 * `/types` and `/types/{id}/extra_specs`: what an admin sees when listing, creating, renaming and
 * deleting volume types and editing their extra specs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForVolumeStatus } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';
import { createType } from '../support/volume-types.js';

test('the seeded default type is listed, shown by id and as /types/default', async (t) => {
  const k = await startForTest(t);
  const list = await k.req('GET', '/v3/types');
  assert.equal(list.status, 200);
  assert.equal(list.body.volume_types.length, 1);
  const def = list.body.volume_types[0];
  assert.deepEqual(def, {
    id: def.id,
    name: '__DEFAULT__',
    is_public: true,
    description: 'Default Volume Type',
    extra_specs: {},
    qos_specs_id: null,
    'os-volume-type-access:is_public': true,
  });

  const byId = await k.req('GET', `/v3/types/${def.id}`);
  assert.equal(byId.status, 200);
  assert.deepEqual(byId.body, { volume_type: def });

  // NOTE: like Cinder, /types/default has no os-volume-type-access key.
  const dflt = await k.req('GET', '/v3/admin/types/default');
  assert.equal(dflt.status, 200);
  const { 'os-volume-type-access:is_public': _access, ...withoutAccess } = def;
  assert.deepEqual(dflt.body, { volume_type: withoutAccess });

  const missing = await k.req('GET', '/v3/types/0b5a2e0c-0000-4000-8000-000000000000');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, {
    itemNotFound: {
      code: 404,
      message: 'Volume type 0b5a2e0c-0000-4000-8000-000000000000 could not be found.',
    },
  });
});

test('create answers the new type; a duplicate name is 409; a bad body is 400', async (t) => {
  const k = await startForTest(t);
  const gold = await createType(k, {
    name: 'gold',
    description: 'fast',
    extra_specs: { volume_backend_name: 'file' },
  });
  assert.match(gold.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(gold, {
    id: gold.id,
    name: 'gold',
    is_public: true,
    extra_specs: { volume_backend_name: 'file' },
    description: 'fast',
    'os-volume-type-access:is_public': true,
  });

  const dup = await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } });
  assert.equal(dup.status, 409);
  assert.deepEqual(dup.body, {
    conflictingRequest: { code: 409, message: 'Volume Type gold already exists.' },
  });

  const noName = await k.req('POST', '/v3/types', { volume_type: { description: 'x' } });
  assert.equal(noName.status, 400);
  assert.match(noName.body.badRequest.message, /'name' is a required property/);

  // Newest first, the seeded default last.
  const list = await k.req('GET', '/v3/types');
  assert.deepEqual(
    list.body.volume_types.map((v: any) => v.name),
    ['gold', '__DEFAULT__'],
  );
});

test('is_public filter: public (default), private only, all, and a bad value', async (t) => {
  const k = await startForTest(t);
  await createType(k, { name: 'pub' });
  const priv = await createType(k, { name: 'priv', 'os-volume-type-access:is_public': false });
  assert.equal(priv.is_public, false);
  assert.equal(priv['os-volume-type-access:is_public'], false);

  const names = async (q: string) =>
    (await k.req('GET', `/v3/types${q}`)).body.volume_types.map((v: any) => v.name).sort();
  assert.deepEqual(await names(''), ['__DEFAULT__', 'pub']);
  assert.deepEqual(await names('?is_public=false'), ['priv']);
  assert.deepEqual(await names('?is_public=None'), ['__DEFAULT__', 'priv', 'pub']);
  assert.deepEqual(await names('?is_public=none&name=priv'), ['priv']);
  assert.deepEqual(await names('?name=pub'), ['pub']);
  const specs = await createType(k, { name: 'fast', extra_specs: { speed: 'high', RESKEY: 'x' } });
  assert.equal(specs.name, 'fast');
  assert.deepEqual(await names(`?extra_specs=${encodeURIComponent("{'speed': 'high'}")}`), ['fast']);
  assert.deepEqual(await names(`?extra_specs=${encodeURIComponent('{"speed": "low"}')}`), []);
  // A key that is no attribute of a type matches nothing, as in Cinder.
  assert.deepEqual(await names('?colour=red'), []);

  // extra_specs that is not a dict: Cinder fails with a 500; Kindling says what is wrong.
  for (const value of ['x', '1', '', "['a']"]) {
    const r = await k.req('GET', `/v3/types?extra_specs=${encodeURIComponent(value)}`);
    assert.deepEqual(
      [r.status, r.body],
      [400, { badRequest: { code: 400, message: `Invalid filter value for extra_specs: ${value}` } }],
    );
  }

  const bad = await k.req('GET', '/v3/types?is_public=maybe');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { badRequest: { code: 400, message: 'Invalid is_public filter [maybe]' } });
});

test('lists page with limit and marker, and an unknown marker is 404', async (t) => {
  const k = await startForTest(t);
  await createType(k, { name: 'a' });
  await createType(k, { name: 'b' });
  // NOTE: sorted by name, so two types made in the same millisecond cannot swap places.
  const first = await k.req('GET', '/v3/types?limit=1&sort=name:desc');
  assert.deepEqual(
    first.body.volume_types.map((v: any) => v.name),
    ['b'],
  );
  const next = first.body.volume_type_links[0];
  assert.equal(next.rel, 'next');
  const url = new URL(next.href);
  assert.equal(url.searchParams.get('marker'), first.body.volume_types[0].id);
  const second = await k.req('GET', `${url.pathname}${url.search}`);
  assert.deepEqual(
    second.body.volume_types.map((v: any) => v.name),
    ['a'],
  );
  const third = await k.req(
    'GET',
    `/v3/types?limit=1&sort=name:desc&marker=${second.body.volume_types[0].id}`,
  );
  assert.deepEqual(
    third.body.volume_types.map((v: any) => v.name),
    ['__DEFAULT__'],
  );

  const sorted = await k.req('GET', '/v3/types?sort=name:asc');
  assert.deepEqual(
    sorted.body.volume_types.map((v: any) => v.name),
    ['__DEFAULT__', 'a', 'b'],
  );

  const badKey = await k.req('GET', '/v3/types?sort=colour');
  assert.equal(badKey.status, 400);
  assert.equal(badKey.body.badRequest.message, 'Invalid input received: Invalid sort key');

  const gone = await k.req('GET', '/v3/types?marker=11111111-2222-4333-8444-555555555555');
  assert.equal(gone.status, 404);
  assert.equal(
    gone.body.itemNotFound.message,
    'Volume type 11111111-2222-4333-8444-555555555555 could not be found.',
  );
});

test('update renames (moving the per-type quota keys), rejects empty and clashing names', async (t) => {
  const k = await startForTest(t);
  const gold = await createType(k, { name: 'gold' });
  await createType(k, { name: 'silver' });
  const q = await k.req('PUT', '/v3/os-quota-sets/admin', { quota_set: { volumes_gold: 7 } });
  assert.equal(q.status, 200, q.text);

  const renamed = await k.req('PUT', `/v3/types/${gold.id}`, {
    volume_type: { name: 'platinum', description: 'new' },
  });
  assert.equal(renamed.status, 200);
  assert.deepEqual(renamed.body, {
    volume_type: { id: gold.id, name: 'platinum', is_public: true, extra_specs: {}, description: 'new' },
  });
  const quota = (await k.req('GET', '/v3/os-quota-sets/admin')).body.quota_set;
  assert.equal(quota.volumes_platinum, 7);
  assert.equal('volumes_gold' in quota, false);

  const priv = await k.req('PUT', `/v3/types/${gold.id}`, { volume_type: { is_public: false } });
  assert.equal(priv.body.volume_type.is_public, false);

  const none = await k.req('PUT', `/v3/types/${gold.id}`, { volume_type: {} });
  assert.equal(none.status, 400);
  assert.equal(
    none.body.badRequest.message,
    'Specify volume type name, description, is_public or a combination thereof.',
  );

  const blank = await k.req('PUT', `/v3/types/${gold.id}`, { volume_type: { name: '   ' } });
  assert.equal(blank.status, 400);
  assert.equal(blank.body.badRequest.message, 'Volume type name can not be empty.');

  const clash = await k.req('PUT', `/v3/types/${gold.id}`, { volume_type: { name: 'silver' } });
  assert.equal(clash.status, 409);
  assert.equal(clash.body.conflictingRequest.message, 'Volume Type silver already exists.');

  const missing = await k.req('PUT', '/v3/types/0b5a2e0c-0000-4000-8000-000000000000', {
    volume_type: { name: 'x' },
  });
  assert.equal(missing.status, 404);
});

test('delete: unused type goes, default and in-use types are refused', async (t) => {
  const k = await startForTest(t);
  const def = (await k.req('GET', '/v3/types/default')).body.volume_type;
  const refusedDefault = await k.req('DELETE', `/v3/types/${def.id}`);
  assert.equal(refusedDefault.status, 400);
  assert.equal(
    refusedDefault.body.badRequest.message,
    `The volume type ${def.id} is a default volume type and cannot be deleted.`,
  );

  const used = await createType(k, { name: 'used' });
  const vol = await k.req('POST', '/v3/volumes', { volume: { size: 1, volume_type: 'used' } });
  assert.equal(vol.status, 202, vol.text);
  await waitForVolumeStatus(k, vol.body.volume.id, ['available', 'error']);
  const inUse = await k.req('DELETE', `/v3/types/${used.id}`);
  assert.equal(inUse.status, 400);
  assert.deepEqual(inUse.body, { badRequest: { code: 400, message: 'Target volume type is still in use.' } });

  const spare = await createType(k, { name: 'spare' });
  const del = await k.req('DELETE', `/v3/types/${spare.id}`);
  assert.equal(del.status, 202);
  assert.equal(del.text, '');
  assert.equal((await k.req('GET', `/v3/types/${spare.id}`)).status, 404);
  assert.equal((await k.req('DELETE', `/v3/types/${spare.id}`)).status, 404);
  // The per-type quota keys went with the type.
  const quota = (await k.req('GET', '/v3/os-quota-sets/admin')).body.quota_set;
  assert.equal('volumes_spare' in quota, false);
  assert.equal(quota.volumes_used, -1);
});

test('extra specs: list, add, show, update, delete, and their errors', async (t) => {
  const k = await startForTest(t);
  const gold = await createType(k, { name: 'gold', extra_specs: { a: '1' } });
  const base = `/v3/types/${gold.id}/extra_specs`;

  assert.deepEqual((await k.req('GET', base)).body, { extra_specs: { a: '1' } });
  const add = await k.req('POST', base, { extra_specs: { b: '2', 'capabilities:x': 'y' } });
  assert.equal(add.status, 200);
  assert.deepEqual(add.body, { extra_specs: { b: '2', 'capabilities:x': 'y' } });
  assert.deepEqual((await k.req('GET', base)).body, {
    extra_specs: { a: '1', b: '2', 'capabilities:x': 'y' },
  });
  assert.deepEqual((await k.req('GET', `${base}/b`)).body, { b: '2' });

  const put = await k.req('PUT', `${base}/a`, { a: '10' });
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, { a: '10' });
  assert.deepEqual((await k.req('GET', `/v3/types/${gold.id}`)).body.volume_type.extra_specs, {
    a: '10',
    b: '2',
    'capabilities:x': 'y',
  });

  const mismatch = await k.req('PUT', `${base}/a`, { b: '3' });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.body.badRequest.message, 'Request body and URI mismatch');

  const badKey = await k.req('POST', base, { extra_specs: { 'bad key!': 'v' } });
  assert.equal(badKey.status, 400);

  const del = await k.req('DELETE', `${base}/b`);
  assert.equal(del.status, 202);
  const noKey = await k.req('GET', `${base}/b`);
  assert.equal(noKey.status, 404);
  assert.deepEqual(noKey.body, {
    itemNotFound: { code: 404, message: `Volume Type ${gold.id} has no extra specs with key b.` },
  });
  const delAgain = await k.req('DELETE', `${base}/b`);
  assert.equal(delAgain.status, 404);
  assert.equal(delAgain.body.itemNotFound.message, `Volume Type ${gold.id} has no extra specs with key b.`);

  const cache = await k.req('POST', base, {
    extra_specs: { multiattach: '<is> True', cacheable: '<is> True' },
  });
  assert.equal(cache.status, 400);
  assert.equal(cache.body.badRequest.message, 'cacheable cannot be set with multiattach.');

  const noType = await k.req('GET', '/v3/types/0b5a2e0c-0000-4000-8000-000000000000/extra_specs');
  assert.equal(noType.status, 404);
  assert.equal(
    noType.body.itemNotFound.message,
    'Volume type 0b5a2e0c-0000-4000-8000-000000000000 could not be found.',
  );
});

test('extra specs of a type that volumes use cannot change', async (t) => {
  const k = await startForTest(t);
  const gold = await createType(k, { name: 'gold', extra_specs: { a: '1' } });
  const vol = await k.req('POST', '/v3/volumes', { volume: { size: 1, volume_type: 'gold' } });
  assert.equal(vol.status, 202, vol.text);
  const base = `/v3/types/${gold.id}/extra_specs`;
  for (const [method, url, body] of [
    ['POST', base, { extra_specs: { b: '2' } }],
    ['PUT', `${base}/a`, { a: '2' }],
    ['DELETE', `${base}/a`, undefined],
  ] as const) {
    const r = await k.req(method, url, body);
    assert.equal(r.status, 400, `${method} ${url}`);
    assert.deepEqual(r.body, { badRequest: { code: 400, message: 'Volume Type is currently in use.' } });
  }
  assert.deepEqual((await k.req('GET', base)).body, { extra_specs: { a: '1' } });
});
