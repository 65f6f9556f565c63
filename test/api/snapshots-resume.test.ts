/**
 * Snapshot work whose message was lost (a broker outage, a crash between the API's write and its
 * cast) is finished by the volume service's periodic cleanup once it has sat for
 * `stuck_operation_timeout`, as volume creates and deletes are. Runs in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestKindling } from '../support/kindling.js';
import {
  availableSnapshot,
  availableVolume,
  quotaUsage,
  waitForSnapshotStatus,
} from '../support/snapshots.js';

test('snapshots left creating or deleting are finished by the volume service', async (t) => {
  const k = await startTestKindling({
    KINDLING__DEFAULT__periodic_interval: '1',
    KINDLING__DEFAULT__stuck_operation_timeout: '1',
  });
  t.after(() => k.close());
  const v = await availableVolume(k);
  const gone = await availableSnapshot(k, v.id);
  const before = (await quotaUsage(k, 'admin')).snapshots;
  assert.deepEqual(before, { in_use: 1, reserved: 0 });

  // As if the API had written the rows and then lost its casts.
  const stale = '2000-01-01T00:00:00.000000';
  const lostId = '6d1c2b4e-0000-4000-8000-00000000c0de';
  await k.db
    .insertInto('snapshots')
    .values({
      id: lostId,
      volume_id: v.id,
      user_id: 'admin',
      project_id: 'admin',
      status: 'creating',
      progress: '0%',
      volume_size: 1,
      display_name: 'lost',
      display_description: null,
      volume_type_id: null,
      provider_location: null,
      use_quota: 0,
      created_at: stale,
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    })
    .execute();
  await k.db
    .updateTable('snapshots')
    .set({ status: 'deleting', updated_at: stale })
    .where('id', '=', gone.id)
    .execute();

  const made = await waitForSnapshotStatus(k, lostId, ['available'], 20_000);
  assert.equal(made['os-extended-snapshot-attributes:progress'], '100%');
  assert.ok(existsSync(join(k.stateDir, 'volumes', `snapshot-${lostId}`)));
  await waitForSnapshotStatus(k, gone.id, ['deleted'], 20_000);
  assert.ok(!existsSync(join(k.stateDir, 'volumes', `snapshot-${gone.id}`)));
  assert.deepEqual((await quotaUsage(k, 'admin')).snapshots, { in_use: 0, reserved: 0 });
});
