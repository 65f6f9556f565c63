/**
 * `os-retype`: in place when the volume's backend takes the new type (the per-type quota moves),
 * refused when it would need another backend and migration is not allowed, migrated when it is
 * (`on-demand`); every precondition with Cinder's code and message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import {
  act,
  availableVolume,
  fault,
  readAt,
  TWO_BACKENDS,
  usage,
  volumeFile,
  volumeType,
  writeAt,
} from './volume-actions-support.js';

/** in_use/reserved of each named quota resource. */
async function counts(k: TestKindling, names: string[]): Promise<Record<string, [number, number]>> {
  const q = await usage(k);
  return Object.fromEntries(names.map((n) => [n, [q[n]!.in_use, q[n]!.reserved]]));
}

const RETYPE_REFUSED =
  'Invalid volume: Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.';

test('retype on the same backend changes the type and moves the per-type quota, snapshots included', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  await volumeType(k, 'plain');
  const fastId = await volumeType(k, 'fast', { volume_backend_name: 'file' });
  const v = await availableVolume(k, { size: 2, volume_type: 'plain' });
  const snap = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: v.id } });
  assert.equal(snap.status, 202, snap.text);
  await waitFor(
    async () =>
      (await k.req('GET', `/v3/admin/snapshots/${snap.body.snapshot.id}`)).body.snapshot.status ===
      'available',
  );

  const r = await act(k, v.id, { 'os-retype': { new_type: 'fast' } });
  assert.deepEqual([r.status, r.text], [202, '']);
  const after = await waitFor(async () => {
    const s = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume;
    return s.volume_type === 'fast' && s.status === 'available' && s;
  });
  assert.equal(after['os-vol-host-attr:host'], v['os-vol-host-attr:host']);
  assert.deepEqual(
    await counts(k, [
      'volumes_plain',
      'gigabytes_plain',
      'snapshots_plain',
      'volumes_fast',
      'gigabytes_fast',
      'snapshots_fast',
      'volumes',
      'gigabytes',
    ]),
    {
      volumes_plain: [0, 0],
      gigabytes_plain: [0, 0],
      snapshots_plain: [0, 0],
      volumes_fast: [1, 0],
      gigabytes_fast: [4, 0],
      snapshots_fast: [1, 0],
      volumes: [1, 0],
      gigabytes: [4, 0],
    },
  );
  const note = await k.notifications.waitFor((n) => n.event_type === 'volume.retype');
  assert.equal(note.payload.volume_type, fastId);
});

test('retype preconditions: type, size limits, status, quota — nothing is left reserved', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  await volumeType(k, 'plain');
  await volumeType(k, 'big-only', { 'provisioning:min_vol_size': '5' });
  await volumeType(k, 'fast');
  const v = await availableVolume(k, { size: 1, volume_type: 'plain' });
  const id = v.id;
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: 'nope' } })).body,
    fault(404, 'Volume type with name nope could not be found.'),
  );
  const noId = '11111111-2222-3333-4444-555555555555';
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: noId } })).body,
    fault(404, `Volume type ${noId} could not be found.`),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: 'big-only' } })).body,
    fault(
      400,
      "Invalid input received: Specified volume size of '1' is less than the minimum required size of '5' for volume type 'big-only'.",
    ),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: 'plain' } })).body,
    fault(400, RETYPE_REFUSED),
  );
  await act(k, id, { 'os-reset_status': { status: 'error' } });
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: 'fast' } })).body,
    fault(400, RETYPE_REFUSED),
  );
  await act(k, id, { 'os-reset_status': { status: 'available', migration_status: 'migrating' } });
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: 'fast' } })).body,
    fault(400, RETYPE_REFUSED),
  );
  await act(k, id, { 'os-reset_status': { migration_status: 'none' } });

  await k.req('PUT', '/v3/admin/os-quota-sets/admin', { quota_set: { volumes_fast: 0 } });
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: 'fast' } })).body,
    fault(
      413,
      "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes_fast'.",
    ),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-retype': { new_type: 'fast', migration_policy: 'sometimes' } })).body,
    fault(
      400,
      "Invalid input for field/attribute migration_policy. Value: sometimes. 'sometimes' is not one of ['on-demand', 'never']",
    ),
  );
  assert.deepEqual(await counts(k, ['volumes_plain', 'gigabytes_plain', 'volumes_fast', 'gigabytes_fast']), {
    volumes_plain: [1, 0],
    gigabytes_plain: [1, 0],
    volumes_fast: [0, 0],
    gigabytes_fast: [0, 0],
  });
  assert.equal((await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume.volume_type, 'plain');
});

test('a type of another backend: refused without migration, migrated with on-demand (data intact)', async (t) => {
  const k = await startTestKindling(TWO_BACKENDS);
  t.after(() => k.close());
  await volumeType(k, 'on-alpha', { volume_backend_name: 'alpha' });
  await volumeType(k, 'on-beta', { volume_backend_name: 'beta' });
  const v = await availableVolume(k, { size: 1, volume_type: 'on-alpha' });
  assert.match(v['os-vol-host-attr:host'], /@alpha#alpha$/);
  const source = await volumeFile(k, v.id);
  await writeAt(source, 512 << 20, 'data that must survive');
  const quota = ['volumes_on-alpha', 'gigabytes_on-alpha', 'volumes_on-beta', 'gigabytes_on-beta'];

  assert.equal(
    (await act(k, v.id, { 'os-retype': { new_type: 'on-beta', migration_policy: 'never' } })).status,
    202,
  );
  const refused = await k.notifications.waitFor((n) => n.event_type === 'scheduler.retype');
  assert.equal(refused.priority, 'ERROR');
  assert.match(String(refused.payload.reason), /migration not allowed/);
  const kept = await waitForVolumeStatus(k, v.id, ['available']);
  assert.equal(kept.volume_type, 'on-alpha');
  assert.deepEqual(await counts(k, quota), {
    'volumes_on-alpha': [1, 0],
    'gigabytes_on-alpha': [1, 0],
    'volumes_on-beta': [0, 0],
    'gigabytes_on-beta': [0, 0],
  });

  assert.equal(
    (await act(k, v.id, { 'os-retype': { new_type: 'on-beta', migration_policy: 'on-demand' } })).status,
    202,
  );
  const moved = await waitFor(async () => {
    const s = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume;
    return s.volume_type === 'on-beta' && s.status === 'available' && s;
  });
  assert.match(moved['os-vol-host-attr:host'], /@beta#beta$/);
  assert.equal(moved.migration_status, 'success');
  const target = await volumeFile(k, v.id);
  assert.notEqual(target, source);
  assert.equal(await readAt(target, 512 << 20, 22), 'data that must survive');
  assert.equal(existsSync(source), false);
  assert.deepEqual(await counts(k, quota), {
    'volumes_on-alpha': [0, 0],
    'gigabytes_on-alpha': [0, 0],
    'volumes_on-beta': [1, 0],
    'gigabytes_on-beta': [1, 0],
  });
});
