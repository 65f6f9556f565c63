/**
 * `os-reserve` / `os-unreserve` (a consumer marks a volume `attaching` before attaching it) and the
 * attach actions Kindling does not offer: each looks the volume up first, as Cinder does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling } from '../support/kindling.js';
import { act, availableVolume, fault } from './volume-actions-support.js';

const MISSING = '00000000-0000-0000-0000-000000000000';

test('reserve makes an available volume attaching; unreserve gives it back', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);
  const status = async () => (await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume.status;

  const reserved = await act(k, id, { 'os-reserve': {} });
  assert.equal(reserved.status, 202);
  assert.equal(reserved.text, '');
  assert.equal(await status(), 'attaching');

  const again = await act(k, id, { 'os-reserve': {} });
  assert.equal(again.status, 400);
  assert.deepEqual(
    again.body,
    fault(400, 'Invalid volume: Volume status must be available to reserve, but the status is attaching.'),
  );

  assert.equal((await act(k, id, { 'os-unreserve': {} })).status, 202);
  assert.equal(await status(), 'available');
  // Unreserving a volume that is not reserved changes nothing and is no error.
  assert.equal((await act(k, id, { 'os-unreserve': {} })).status, 202);
  assert.equal(await status(), 'available');
});

test('a multiattach volume may be reserved while in-use; others only while available', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);
  const setStatus = (status: string) =>
    k.db.updateTable('volumes').set({ status }).where('id', '=', id).execute();
  await setStatus('in-use');
  assert.deepEqual(
    (await act(k, id, { 'os-reserve': {} })).body,
    fault(400, 'Invalid volume: Volume status must be available to reserve, but the status is in-use.'),
  );
  await k.db.updateTable('volumes').set({ multiattach: 1 }).where('id', '=', id).execute();
  assert.equal((await act(k, id, { 'os-reserve': {} })).status, 202);
  await setStatus('error');
  assert.deepEqual(
    (await act(k, id, { 'os-reserve': {} })).body,
    fault(
      400,
      'Invalid volume: Volume status must be available or in-use to reserve, but the status is error.',
    ),
  );
});

test('reserve, unreserve and the attach actions: a missing volume is a 404 once the body is valid', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const bodies: Record<string, unknown> = {
    'os-reserve': {},
    'os-unreserve': {},
    'os-detach': {},
    'os-attach': { mountpoint: '/dev/vdb', host_name: 'h1' },
    'os-begin_detaching': {},
  };
  for (const [action, body] of Object.entries(bodies)) {
    const r = await act(k, MISSING, { [action]: body });
    assert.equal(r.status, 404, action);
    assert.deepEqual(r.body, fault(404, `Volume ${MISSING} could not be found.`), action);
  }
  // NOTE: as Cinder, the body is checked before the volume is looked up.
  const bad = await act(k, MISSING, { 'os-attach': {} });
  assert.equal(bad.status, 400);
  // Detaching a volume that has no attachment leaves it available (Cinder's detach_volume).
  const { id } = await availableVolume(k);
  assert.equal((await act(k, id, { 'os-detach': {} })).status, 202);
  assert.equal((await k.req('GET', `/v3/volumes/${id}`)).body.volume.status, 'available');
});
