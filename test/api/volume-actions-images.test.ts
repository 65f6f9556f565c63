/**
 * `os-volume_upload_image` and `os-reimage` where no Glance is needed to answer: the refusals
 * before the image service (statuses, `force` without `enable_force_upload`, microversions), and
 * what a Kindling without an image service answers — the volume always gets its status back. The
 * texts are Real Cinder Zed's. With a real Glance: test/e2e/images-upload.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mv, startTestKindling, type TestKindling } from '../support/kindling.js';
import { act, availableVolume, fault, volumeRow, volumeType } from './volume-actions-support.js';

async function inUse(k: TestKindling, id: string): Promise<void> {
  const a = await k.req(
    'POST',
    '/v3/admin/attachments',
    { attachment: { volume_uuid: id, instance_uuid: randomUUID() } },
    mv('3.50'),
  );
  assert.equal(a.status, 200, a.text);
  const c = await k.req(
    'POST',
    `/v3/admin/attachments/${a.body.attachment.id}/action`,
    { 'os-complete': null },
    mv('3.44'),
  );
  assert.equal(c.status, 204);
}

test('upload to image without an image service: refusals, force ignored, the status comes back', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const upload = (id: string, args: unknown, version = '3.0') =>
    act(k, id, { 'os-volume_upload_image': args }, version);

  // The body is checked before the volume is looked up.
  const missing = randomUUID();
  assert.deepEqual(
    (await upload(missing, {})).body,
    fault(
      400,
      "Invalid input for field/attribute os-volume_upload_image. Value: {}. 'image_name' is a required property",
    ),
  );
  assert.deepEqual(
    (await upload(missing, { image_name: 'x' })).body,
    fault(404, `Volume ${missing} could not be found.`),
  );
  assert.deepEqual(
    (await upload(v.id, { image_name: 'x', protected: 'yes' })).body,
    fault(
      400,
      "Invalid input for field/attribute os-volume_upload_image. Value: {'image_name': 'x', 'protected': 'yes'}. Additional properties are not allowed ('protected' was unexpected)",
    ),
  );

  // No Glance: Cinder's text for a Glance it cannot reach; the volume is available again.
  assert.deepEqual(
    (await upload(v.id, { image_name: 'x' })).body,
    fault(400, 'Connection to glance failed: no image service is configured (glance_api_servers)'),
  );
  const row = await volumeRow(k, v.id);
  assert.equal(row.status, 'available');
  assert.equal(row.previous_status, null);

  // In use: `force` is ignored unless enable_force_upload (Cinder's default: off).
  await inUse(k, v.id);
  for (const force of [false, true])
    assert.deepEqual(
      (await upload(v.id, { image_name: 'x', force })).body,
      fault(400, `Invalid volume: Volume ${v.id} status must be available`),
    );
  assert.equal((await volumeRow(k, v.id)).status, 'in-use');
});

test('upload to image with enable_force_upload: an in-use volume passes the status check', async (t) => {
  const k = await startTestKindling({ KINDLING__DEFAULT__enable_force_upload: 'true' });
  t.after(() => k.close());
  const v = await availableVolume(k);
  await inUse(k, v.id);
  const upload = (args: unknown) => act(k, v.id, { 'os-volume_upload_image': args });
  assert.deepEqual(
    (await upload({ image_name: 'x' })).body,
    fault(400, `Invalid volume: Volume ${v.id} status must be available`),
  );
  // Forced, it reaches the image service (none here) and the volume is in-use again.
  assert.deepEqual(
    (await upload({ image_name: 'x', force: 'True' })).body,
    fault(400, 'Connection to glance failed: no image service is configured (glance_api_servers)'),
  );
  assert.equal((await volumeRow(k, v.id)).status, 'in-use');
  assert.equal((await act(k, v.id, { 'os-reset_status': { status: 'maintenance' } })).status, 202);
  assert.deepEqual(
    (await upload({ image_name: 'x', force: true })).body,
    fault(400, `Invalid volume: Volume ${v.id} status must be available or in-use`),
  );
});

test('reimage: 3.68 only, the schema first, statuses; without an image service the image is not found', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const image = randomUUID();
  const reimage = (id: string, args: unknown, version = '3.68') =>
    act(k, id, { 'os-reimage': args }, version);
  assert.deepEqual(
    (await reimage(v.id, { image_id: image }, '3.67')).body,
    fault(404, 'The resource could not be found.'),
  );
  assert.match(
    (await reimage(v.id, { image_id: image, reimage_reserved: 'maybe' })).body.badRequest.message,
    /^Invalid input for field\/attribute reimage_reserved\. Value: maybe\. 'maybe' is not one of \[True, 'True'/,
  );
  const missing = randomUUID();
  assert.deepEqual(
    (await reimage(missing, { image_id: image })).body,
    fault(404, `Volume ${missing} could not be found.`),
  );
  assert.deepEqual(
    (await reimage(v.id, { image_id: image })).body,
    fault(404, `Image ${image} could not be found.`),
  );
  const row = await volumeRow(k, v.id);
  assert.equal(row.status, 'available');

  assert.equal((await act(k, v.id, { 'os-reset_status': { status: 'maintenance' } })).status, 202);
  assert.deepEqual(
    (await reimage(v.id, { image_id: image })).body,
    fault(
      400,
      `Invalid volume: Volume ${v.id} status must be available or error, but current status is maintenance.`,
    ),
  );
  assert.deepEqual(
    (await reimage(v.id, { image_id: image, reimage_reserved: true })).body,
    fault(
      400,
      `Invalid volume: Volume ${v.id} status must be available or error or reserved, but current status is maintenance.`,
    ),
  );
  // `error` is accepted: it reaches the image lookup and gets its status back.
  assert.equal((await act(k, v.id, { 'os-reset_status': { status: 'error' } })).status, 202);
  assert.deepEqual(
    (await reimage(v.id, { image_id: image })).body,
    fault(404, `Image ${image} could not be found.`),
  );
  assert.equal((await volumeRow(k, v.id)).status, 'error');
});

test('reimage of a volume attached to two servers: 409', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  await volumeType(k, 'multi', { multiattach: '<is> True' });
  const v = await availableVolume(k, { volume_type: 'multi' });
  await inUse(k, v.id);
  await inUse(k, v.id);
  assert.deepEqual(
    (await act(k, v.id, { 'os-reimage': { image_id: randomUUID(), reimage_reserved: true } }, '3.68')).body,
    fault(409, 'Cannot re-image a volume which is attached to more than one server.'),
  );
  assert.equal((await volumeRow(k, v.id)).status, 'in-use');
});
