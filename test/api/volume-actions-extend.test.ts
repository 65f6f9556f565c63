/**
 * `os-extend`: a volume grows (file and quota), every precondition answers Cinder's code and
 * message, and failures on the backend leave the quota exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, stat } from 'node:fs/promises';
import { mv, startTestKindling, waitFor, waitForVolumeStatus } from '../support/kindling.js';
import {
  act,
  availableVolume,
  fault,
  messageEvents,
  usage,
  volumeFile,
  volumeRow,
  volumeType,
} from './volume-actions-support.js';

const GiB = 1024 ** 3;

test('os-extend grows the file, commits the quota (total and per type), notifies resize', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  await volumeType(k, 'gold');
  const v = await availableVolume(k, { size: 2, volume_type: 'gold' });
  const r = await act(k, v.id, { 'os-extend': { new_size: '5' } });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.text, '');
  const after = await waitFor(async () => {
    const s = await k.req('GET', `/v3/admin/volumes/${v.id}`);
    return s.body.volume.size === 5 && s.body.volume;
  });
  assert.equal(after.status, 'available');
  assert.equal((await stat(await volumeFile(k, v.id))).size, 5 * GiB);
  const q = await usage(k);
  assert.deepEqual([q.gigabytes.in_use, q.gigabytes.reserved], [5, 0]);
  assert.deepEqual([q.gigabytes_gold.in_use, q.gigabytes_gold.reserved], [5, 0]);
  const end = await k.notifications.waitFor((n) => n.event_type === 'volume.resize.end');
  assert.equal(end.payload.size, 5);
  const start = k.notifications.sent.find((n) => n.event_type === 'volume.resize.start');
  assert.equal(start?.payload.size, 2);
  assert.equal(start?.payload.status, 'extending');
});

test('os-extend preconditions: size, status, type limits, quota — Cinder code and message, nothing changes', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  await volumeType(k, 'capped', { 'provisioning:max_vol_size': '3' });
  const v = await availableVolume(k, { size: 2, volume_type: 'capped' });
  const id = v.id;

  assert.deepEqual(
    (await act(k, id, { 'os-extend': { new_size: 2 } })).body,
    fault(
      400,
      'Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 2).',
    ),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-extend': { new_size: 4 } })).body,
    fault(
      400,
      "Invalid input received: Specified volume size of '4' is greater than the maximum allowable size of '3' for volume type 'capped'.",
    ),
  );
  for (const status of ['error', 'maintenance', 'error_extending']) {
    assert.equal((await act(k, id, { 'os-reset_status': { status } })).status, 202);
    const r = await act(k, id, { 'os-extend': { new_size: 3 } });
    assert.deepEqual(
      r.body,
      fault(
        400,
        `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently ${status}.`,
      ),
    );
  }
  assert.equal((await act(k, id, { 'os-reset_status': { status: 'available' } })).status, 202);

  // Per-volume limit (413), then the project's gigabytes (413): the status is given back each time.
  assert.equal(
    (await k.req('PUT', '/v3/admin/os-quota-sets/admin', { quota_set: { per_volume_gigabytes: 2 } })).status,
    200,
  );
  assert.deepEqual(
    (await act(k, id, { 'os-extend': { new_size: 3 } })).body,
    fault(413, 'VolumeSizeExceedsLimit: Requested volume size 3G is larger than maximum allowed limit 2G.'),
  );
  assert.equal((await volumeRow(k, id)).status, 'available');
  await k.req('PUT', '/v3/admin/os-quota-sets/admin', {
    quota_set: { per_volume_gigabytes: -1, gigabytes: 2 },
  });
  assert.deepEqual(
    (await act(k, id, { 'os-extend': { new_size: 3 } })).body,
    fault(
      413,
      'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 1G, quota is 2G and 2G has been consumed.',
    ),
  );
  const row = await volumeRow(k, id);
  assert.deepEqual([row.status, row.size], ['available', 2]);
  const q = await usage(k);
  assert.deepEqual(
    [q.gigabytes.in_use, q.gigabytes.reserved, q.gigabytes_capped.in_use, q.gigabytes_capped.reserved],
    [2, 0, 2, 0],
  );

  assert.deepEqual(
    (await act(k, id, { 'os-extend': { new_size: 0 } })).body,
    fault(400, 'Invalid input for field/attribute new_size. Value: 0. 0 is less than the minimum of 1'),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-extend': {} })).body,
    fault(400, "Invalid input for field/attribute os-extend. Value: {}. 'new_size' is a required property"),
  );
});

test('a driver failure leaves error_extending, a user message and the quota as before', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  // The backend's file disappears behind its back: the driver cannot grow it.
  await rm(await volumeFile(k, v.id));
  assert.equal((await act(k, v.id, { 'os-extend': { new_size: 2 } })).status, 202);
  const failed = await waitForVolumeStatus(k, v.id, ['error_extending']);
  assert.equal(failed.size, 1);
  assert.deepEqual(await messageEvents(k, v.id), ['VOLUME_VOLUME_007_010']);
  const q = await usage(k);
  assert.deepEqual([q.gigabytes.in_use, q.gigabytes.reserved], [1, 0]);
});

test('no room on the pool: the volume stays available, quota rolled back, message 007_003', async (t) => {
  // 1 GiB total: thin provisioning allows 20× that (max_over_subscription_ratio), not 40 GiB.
  const k = await startTestKindling({}, { driverFaults: { '*': { capacityGb: 1 } } });
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  assert.equal((await act(k, v.id, { 'os-extend': { new_size: 40 } })).status, 202);
  assert.deepEqual(await messageEvents(k, v.id), ['VOLUME_VOLUME_007_003']);
  const after = await waitForVolumeStatus(k, v.id, ['available']);
  assert.equal(after.size, 1);
  const q = await usage(k);
  assert.deepEqual([q.gigabytes.in_use, q.gigabytes.reserved], [1, 0]);
  const note = await k.notifications.waitFor((n) => n.event_type === 'scheduler.extend_volume');
  assert.equal(note.priority, 'ERROR');
});

test('in-use: below 3.42 refused as not available; at 3.42 an attached volume grows and stays in-use', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  // Attached through the attachments API (reserve + complete; the bytes path is in test/e2e).
  const a = await k.req('POST', '/v3/admin/attachments', { attachment: { volume_uuid: v.id } }, mv('3.27'));
  assert.equal(a.status, 200, a.text);
  const done = await k.req(
    'POST',
    `/v3/admin/attachments/${a.body.attachment.id}/action`,
    { 'os-complete': null },
    mv('3.44'),
  );
  assert.equal(done.status, 204);
  assert.deepEqual(
    (await act(k, v.id, { 'os-extend': { new_size: 2 } })).body,
    fault(
      400,
      `Invalid volume: Volume ${v.id} status must be '{'status': 'available'}' to extend, currently in-use.`,
    ),
  );
  const r = await act(k, v.id, { 'os-extend': { new_size: 2 } }, '3.42');
  assert.equal(r.status, 202, r.text);
  const after = await waitFor(async () => {
    const got = (await k.req('GET', `/v3/volumes/${v.id}`)).body.volume;
    return got.size === 2 && got;
  });
  assert.equal(after.status, 'in-use');
  assert.equal(after.attachments.length, 1);
  assert.deepEqual([(await usage(k)).gigabytes.in_use, (await usage(k)).gigabytes.reserved], [2, 0]);
});
