/**
 * `POST /volumes/{id}/action` itself: how the action is read from the body, unknown and not yet
 * offered actions, microversion gates, and the volume lookup — as Cinder answers them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling } from '../support/kindling.js';
import { act, availableVolume, fault } from './volume-actions-support.js';

test('the body names one action; anything else is answered as Cinder does', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);
  const malformed = fault(400, 'Malformed request body');
  for (const body of [
    {},
    { 'os-extend': { new_size: 2 }, 'os-set_bootable': { bootable: true } },
    [],
    [1, 2],
    'xy',
  ])
    assert.deepEqual((await act(k, id, JSON.stringify(body))).body, malformed, JSON.stringify(body));
  // A JSON value with one element but no keys (or no length at all) ends as a bare 404.
  for (const body of [[1], 5, true, null])
    assert.deepEqual(
      (await act(k, id, JSON.stringify(body))).body,
      fault(404, 'The resource could not be found.'),
    );
  const none = await k.req('POST', `/v3/admin/volumes/${id}/action`);
  assert.deepEqual(
    none.body,
    fault(
      400,
      'There is no such action: None. Verify the request body and Content-Type header and try again.',
    ),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-bogus': {} })).body,
    fault(
      400,
      'There is no such action: os-bogus. Verify the request body and Content-Type header and try again.',
    ),
  );
  const attach = await act(k, id, { 'os-attach': { mountpoint: '/dev/vdb', host_name: 'h' } });
  assert.equal(attach.status, 202);
});

test('revert needs 3.40; the volume is looked up after the body is validated; both URL forms', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);
  assert.deepEqual(
    (await act(k, id, { revert: { snapshot_id: id } }, '3.39')).body,
    fault(404, 'The resource could not be found.'),
  );
  assert.deepEqual(
    (await act(k, id, { revert: null }, '3.40')).body,
    fault(400, "Missing required element 'revert' in request body."),
  );
  const missing = '00000000-0000-0000-0000-000000000000';
  assert.deepEqual(
    (await act(k, missing, { 'os-extend': { new_size: 'x' } })).body,
    fault(400, "Invalid input for field/attribute new_size. Value: x. 'x' does not match '^[0-9]+$'"),
  );
  assert.deepEqual(
    (await act(k, missing, { 'os-extend': { new_size: 2 } })).body,
    fault(404, `Volume ${missing} could not be found.`),
  );
  const bare = await k.req(
    'POST',
    `/v3/volumes/${id}/action`,
    { 'os-set_bootable': { bootable: 'yes' } },
    mv('3.0'),
  );
  assert.equal(bare.status, 200, bare.text);
  assert.equal((await k.req('GET', `/v3/volumes/${id}`)).body.volume.bootable, 'true');
});
