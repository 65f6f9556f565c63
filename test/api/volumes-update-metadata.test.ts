import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling } from '../support/kindling.js';

test('PUT /volumes/{id} renames, describes and replaces metadata; 3.53 needs a key', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const c = await kt.req('POST', '/v3/admin/volumes', {
    volume: { size: 1, name: 'a', metadata: { x: '1' } },
  });
  const id = c.body.volume.id as string;
  const r = await kt.req('PUT', `/v3/admin/volumes/${id}`, {
    volume: { name: 'b', description: 'desc', metadata: { y: '2' } },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.volume.name, 'b');
  assert.equal(r.body.volume.description, 'desc');
  assert.deepEqual(r.body.volume.metadata, { y: '2' });
  const legacy = await kt.req('PUT', `/v3/admin/volumes/${id}`, { volume: { display_name: 'c' } });
  assert.equal(legacy.body.volume.name, 'c');
  const empty = await kt.req(
    'PUT',
    `/v3/admin/volumes/${id}`,
    { volume: {} },
    { 'openstack-api-version': 'volume 3.53' },
  );
  assert.equal(empty.status, 400);
  assert.equal(
    empty.body.badRequest.message,
    'Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas',
  );
  const missing = await kt.req('PUT', '/v3/admin/volumes/2b1f6b36-8a3e-4a6e-9c4d-8d8f8b1c2d3e', {
    volume: { name: 'x' },
  });
  assert.deepEqual(missing.body, {
    itemNotFound: { code: 404, message: 'Volume 2b1f6b36-8a3e-4a6e-9c4d-8d8f8b1c2d3e could not be found.' },
  });
});

test('volume metadata: create merges, update-all replaces, item show/update/delete, ETag on 3.15', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const c = await kt.req('POST', '/v3/admin/volumes', { volume: { size: 1, metadata: { a: '1' } } });
  const base = `/v3/admin/volumes/${c.body.volume.id}/metadata`;
  assert.deepEqual((await kt.req('POST', base, { metadata: { b: '2' } })).body, {
    metadata: { a: '1', b: '2' },
  });
  assert.deepEqual((await kt.req('GET', base)).body, { metadata: { a: '1', b: '2' } });
  assert.deepEqual((await kt.req('PUT', base, { metadata: { c: '3' } })).body, { metadata: { c: '3' } });
  assert.deepEqual((await kt.req('GET', `${base}/c`)).body, { meta: { c: '3' } });
  assert.deepEqual((await kt.req('PUT', `${base}/c`, { meta: { c: '4' } })).body, { meta: { c: '4' } });
  const mismatch = await kt.req('PUT', `${base}/c`, { meta: { d: '4' } });
  assert.deepEqual(mismatch.body, { badRequest: { code: 400, message: 'Request body and URI mismatch' } });
  assert.equal((await kt.req('DELETE', `${base}/c`)).status, 200);
  const gone = await kt.req('GET', `${base}/c`);
  assert.equal(gone.status, 404);
  const noKey = await kt.req('DELETE', `${base}/zzz`);
  assert.equal(noKey.status, 404);

  const withEtag = await kt.req('GET', base, undefined, { 'openstack-api-version': 'volume 3.15' });
  const etag = String(withEtag.headers.etag);
  assert.match(etag, /^[0-9a-f]{32}$/);
  const stale = await kt.req(
    'PUT',
    base,
    { metadata: { e: '5' } },
    { 'openstack-api-version': 'volume 3.15', 'if-match': 'deadbeef' },
  );
  assert.equal(stale.status, 412);
  const fresh = await kt.req(
    'PUT',
    base,
    { metadata: { e: '5' } },
    { 'openstack-api-version': 'volume 3.15', 'if-match': etag },
  );
  assert.equal(fresh.status, 200);
});
