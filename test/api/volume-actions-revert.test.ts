/**
 * `revert` (3.40): the volume's data goes back to its latest snapshot; only that snapshot, only
 * at the same size, only when both are available — Cinder's codes and messages otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import {
  act,
  availableVolume,
  fault,
  readAt,
  volumeFile,
  volumeRow,
  writeAt,
} from './volume-actions-support.js';

/** Takes a snapshot of `volumeId` and waits for it to be available; its id. */
async function snapshot(k: TestKindling, volumeId: string): Promise<string> {
  const r = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: volumeId } });
  assert.equal(r.status, 202, r.text);
  const id = r.body.snapshot.id as string;
  await waitFor(
    async () => (await k.req('GET', `/v3/admin/snapshots/${id}`)).body.snapshot?.status === 'available',
  );
  return id;
}

async function snapshotStatus(k: TestKindling, id: string): Promise<string> {
  return (await k.req('GET', `/v3/admin/snapshots/${id}`)).body.snapshot.status;
}

test('revert puts the latest snapshot back: bytes written after it are gone, before it are kept', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const file = await volumeFile(k, v.id);
  await writeAt(file, 4096, 'before the snapshot');
  const snap = await snapshot(k, v.id);
  await writeAt(file, 4096, 'AFTER  the snapshot');
  await writeAt(file, 1 << 20, 'elsewhere, later');

  const r = await act(k, v.id, { revert: { snapshot_id: snap } }, '3.40');
  assert.deepEqual([r.status, r.text], [202, '']);
  await waitForVolumeStatus(k, v.id, ['available']);
  await waitFor(async () => (await snapshotStatus(k, snap)) === 'available');
  assert.equal(await readAt(await volumeFile(k, v.id), 4096, 19), 'before the snapshot');
  assert.equal(await readAt(await volumeFile(k, v.id), 1 << 20, 16), '\0'.repeat(16));
  await k.notifications.waitForEvents([
    'volume.revert.start',
    'snapshot.revert.start',
    'volume.revert.end',
    'snapshot.revert.end',
  ]);
});

test('revert preconditions answer as Cinder: no snapshot, not the latest, size, statuses', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const revert = (snapshotId?: unknown) =>
    act(k, v.id, { revert: snapshotId === undefined ? {} : { snapshot_id: snapshotId } }, '3.40');
  assert.deepEqual((await revert('x')).body, fault(400, `Volume ${v.id} doesn't have any snapshots.`));
  const older = await snapshot(k, v.id);
  const latest = await snapshot(k, v.id);
  const notLatest = (s: string) =>
    fault(400, `Specified snapshot ${s} is None or not the latest one of volume ${v.id}.`);
  assert.deepEqual((await revert(older)).body, notLatest(older));
  assert.deepEqual((await revert()).body, notLatest('None'));

  await act(k, v.id, { 'os-reset_status': { status: 'error' } });
  const what = `Can't revert volume ${v.id} to its latest snapshot ${latest}.`;
  assert.deepEqual(
    (await revert(latest)).body,
    fault(409, `Invalid volume: ${what} Volume's status must be 'available'.`),
  );
  await act(k, v.id, { 'os-reset_status': { status: 'available' } });

  const reset = await k.req('POST', `/v3/admin/snapshots/${latest}/action`, {
    'os-reset_status': { status: 'error' },
  });
  assert.equal(reset.status, 202, reset.text);
  assert.deepEqual(
    (await revert(latest)).body,
    fault(409, `Invalid snapshot: ${what} Snapshot's status must be 'available'.`),
  );
  // Kindling gives the volume its status back (Cinder would leave it `reverting`).
  assert.equal((await volumeRow(k, v.id)).status, 'available');
  await k.req('POST', `/v3/admin/snapshots/${latest}/action`, { 'os-reset_status': { status: 'available' } });

  assert.equal((await act(k, v.id, { 'os-extend': { new_size: 2 } })).status, 202);
  await waitFor(async () => (await volumeRow(k, v.id)).size === 2);
  await waitForVolumeStatus(k, v.id, ['available']);
  assert.deepEqual(
    (await revert(latest)).body,
    fault(400, `${what} The volume size must be equal to the snapshot size.`),
  );
  assert.deepEqual(
    [(await volumeRow(k, v.id)).status, await snapshotStatus(k, latest)],
    ['available', 'available'],
  );
});
