/**
 * `os-reset_status`, `os-force_delete`, `os-set_bootable` and `os-update_readonly_flag`: what they
 * change, what they refuse (Cinder's codes and messages), and their notifications.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startTestKindling, waitFor } from '../support/kindling.js';
import { act, availableVolume, fault, usage, volumeFile, volumeRow } from './volume-actions-support.js';

const VALID_STATUSES =
  "('creating', 'available', 'deleting', 'error', 'error_deleting', 'error_managing', 'managing', 'attaching', 'in-use', 'detaching', 'maintenance', 'restoring-backup', 'error_restoring', 'reserved', 'awaiting-transfer', 'backing-up', 'error_backing-up', 'error_extending', 'downloading', 'uploading', 'retyping', 'extending')";

test('os-reset_status validates like Cinder and writes the statuses as given', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);
  const mustSpecify = fault(400, "Must specify 'status', 'attach_status' or 'migration_status' for update.");
  for (const body of [{}, { status: '' }, { status: null, attach_status: '' }, { x: 1 }])
    assert.deepEqual((await act(k, id, { 'os-reset_status': body })).body, mustSpecify, JSON.stringify(body));
  const cases: [object, string][] = [
    [{ status: 'bogus' }, `Volume status: bogus is invalid, valid statuses are: ${VALID_STATUSES}.`],
    [
      { attach_status: 'attaching' },
      "Volume attach status: attaching is invalid, valid statuses are: ['attached', 'detached'].",
    ],
    [
      { migration_status: 'bogus' },
      "Volume migration status: bogus is invalid, valid statuses are: ('migrating', 'error', 'success', 'completing', 'none', 'starting').",
    ],
    [{ status: 5 }, "Invalid input for field/attribute status. Value: 5. 5 is not of type 'string', 'null'"],
    [
      { status: 'error', x: 1 },
      "Invalid input for field/attribute os-reset_status. Value: {'status': 'error', 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
    ],
    [{ status: 'deleting' }, 'Cannot reset-state to deleting'],
    [{ status: 'in-use' }, 'Cannot reset-state to in-use because volume does not have any attachments.'],
  ];
  for (const [body, message] of cases)
    assert.deepEqual(
      (await act(k, id, { 'os-reset_status': body })).body,
      fault(400, message),
      JSON.stringify(body),
    );
  assert.deepEqual(
    (await act(k, id, { 'os-reset_status': null })).body,
    fault(
      400,
      "Invalid input for field/attribute os-reset_status. Value: None. None is not of type 'object'",
    ),
  );
  assert.equal((await volumeRow(k, id)).status, 'available');

  const r = await act(k, id, { 'os-reset_status': { status: 'ERROR_DELETING', migration_status: 'Error' } });
  assert.equal(r.status, 202, r.text);
  let row = await volumeRow(k, id);
  assert.deepEqual([row.status, row.migration_status], ['error_deleting', 'error']);
  await act(k, id, {
    'os-reset_status': { status: 'available', attach_status: 'detached', migration_status: 'none' },
  });
  row = await volumeRow(k, id);
  assert.deepEqual([row.status, row.attach_status, row.migration_status], ['available', 'detached', null]);
  const end = await k.notifications.waitFor(
    (n) => n.event_type === 'volume.reset_status.end' && n.payload.status === 'available',
  );
  assert.equal(end.payload.volume_id, id);
  assert.ok(k.notifications.eventTypes().includes('volume.reset_status.start'));
});

test('os-force_delete deletes a volume in any status, but not one with snapshots', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 2 });
  const file = await volumeFile(k, v.id);
  await act(k, v.id, { 'os-reset_status': { status: 'error_extending' } });
  await act(k, v.id, { 'os-reset_status': { status: 'maintenance' } });
  const r = await act(k, v.id, { 'os-force_delete': {} });
  assert.equal(r.status, 202, r.text);
  await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${v.id}`)).status === 404);
  assert.equal(existsSync(file), false);
  const q = await usage(k);
  assert.deepEqual([q.volumes.in_use, q.gigabytes.in_use], [0, 0]);

  const w = await availableVolume(k);
  const snap = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: w.id } });
  assert.equal(snap.status, 202, snap.text);
  assert.deepEqual(
    (await act(k, w.id, { 'os-force_delete': {} })).body,
    fault(
      400,
      'Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    ),
  );
  assert.equal((await k.req('GET', `/v3/admin/volumes/${w.id}`)).body.volume.status, 'available');
});

test('os-set_bootable answers 200 in any status but maintenance; booleans as oslo reads them', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);
  const show = async () => (await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume.bootable;
  const r = await act(k, id, { 'os-set_bootable': { bootable: 'TRUE' } });
  assert.deepEqual([r.status, r.text], [200, '']);
  assert.equal(await show(), 'true');
  await act(k, id, { 'os-reset_status': { status: 'error' } });
  assert.equal((await act(k, id, { 'os-set_bootable': { bootable: 'off' } })).status, 200);
  assert.equal(await show(), 'false');
  await act(k, id, { 'os-reset_status': { status: 'maintenance' } });
  assert.deepEqual(
    (await act(k, id, { 'os-set_bootable': { bootable: true } })).body,
    fault(400, 'Invalid volume: The volume cannot be updated during maintenance.'),
  );
  assert.equal(await show(), 'false');
  const bad = await act(k, id, { 'os-set_bootable': { bootable: 'maybe' } });
  assert.equal(bad.status, 400);
  assert.match(
    bad.body.badRequest.message,
    /^Invalid input for field\/attribute bootable\. Value: maybe\. 'maybe' is not one of \[True, 'True'/,
  );
});

test('os-update_readonly_flag records readonly in admin metadata, only when available', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);
  const readonly = async () =>
    (
      await k.db
        .selectFrom('volume_admin_metadata')
        .select('value')
        .where('volume_id', '=', id)
        .where('key', '=', 'readonly')
        .where('deleted', '=', 0)
        .executeTakeFirst()
    )?.value;
  assert.equal((await act(k, id, { 'os-update_readonly_flag': { readonly: '1' } })).status, 202);
  assert.equal(await readonly(), 'True');
  assert.equal((await act(k, id, { 'os-update_readonly_flag': { readonly: false } })).status, 202);
  assert.equal(await readonly(), 'False');
  await act(k, id, { 'os-reset_status': { status: 'error' } });
  assert.deepEqual(
    (await act(k, id, { 'os-update_readonly_flag': { readonly: true } })).body,
    fault(
      400,
      `Invalid volume: Volume ${id} status must be available to update readonly flag, but current status is: error.`,
    ),
  );
  assert.equal(await readonly(), 'False');
});
