/**
 * A snapshot goes through the scheduler, as in Cinder: the volume's backend must still have room
 * for the volume's size (thin: within max_over_subscription_ratio), else the snapshot ends in
 * `error` with a `scheduler.create_snapshot` ERROR notification and a user message, and deleting
 * it gives its quota back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling } from '../support/kindling.js';
import { availableSnapshot, availableVolume, waitForSnapshotStatus } from '../support/snapshots.js';

test('a snapshot whose volume no longer fits its backend ends in error, with a message', async (t) => {
  // The backend reports 1 GiB: 20 GiB may be provisioned on it (max_over_subscription_ratio 20).
  const k = await startTestKindling({}, { driverFaults: { '*': { capacityGb: 1 } } });
  t.after(() => k.close());
  const big = await availableVolume(k, { size: 15 });
  const small = await availableVolume(k, { size: 1 });

  // 15 + 1 GiB provisioned: another 15 would make 31 > 20.
  const c = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: big.id, name: 'nope' } });
  assert.equal(c.status, 202, c.text);
  assert.equal(c.body.snapshot.status, 'creating');
  const failed = await waitForSnapshotStatus(k, c.body.snapshot.id, ['error', 'available']);
  assert.equal(failed.status, 'error');
  const n = await k.notifications.waitFor(
    (x) => x.event_type === 'scheduler.create_snapshot' && x.payload.snapshot_id === failed.id,
  );
  assert.equal(n.priority, 'ERROR');
  assert.equal(n.payload.state, 'error');
  const msgs = await k.req('GET', `/v3/admin/messages?resource_uuid=${failed.id}`, undefined, mv('3.3'));
  assert.deepEqual(
    msgs.body.messages.map((m: any) => [m.event_id, m.user_message]),
    [['VOLUME_VOLUME_SNAPSHOT_009_003', 'create snapshot:Could not find any available weighted backend.']],
  );
  // The volume is untouched; a snapshot that fits is made.
  assert.equal((await k.req('GET', `/v3/admin/volumes/${big.id}`)).body.volume.status, 'available');
  await availableSnapshot(k, small.id);

  // The failed snapshot holds its quota until it is deleted, as Cinder's does.
  const usage = async () =>
    (await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set.snapshots.in_use;
  assert.equal(await usage(), 2);
  assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${failed.id}`)).status, 202);
  await waitForSnapshotStatus(k, failed.id, ['deleted']);
  assert.equal(await usage(), 1);
});
