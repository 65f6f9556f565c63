import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling } from '../support/kindling.js';
import {
  availableSnapshot,
  availableVolume,
  quotaUsage,
  token,
  waitForSnapshotStatus,
} from '../support/snapshots.js';

/** Just the numbers a test cares about, from the usage rows (absent rows count as zero). */
async function usageOf(k: Parameters<typeof quotaUsage>[0], project: string, resources: string[]) {
  const u = await quotaUsage(k, project);
  return Object.fromEntries(resources.map((r) => [r, u[r] ?? { in_use: 0, reserved: 0 }]));
}

async function setQuota(k: Parameters<typeof quotaUsage>[0], project: string, quota: Record<string, number>) {
  const r = await k.req('PUT', `/v3/admin/os-quota-sets/${project}`, { quota_set: quota });
  assert.equal(r.status, 200, r.text);
}

test('snapshot quota: `snapshots` and `gigabytes` (and per type) are used, refused with 413, and given back', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const type = await k.req('POST', '/v3/admin/types', { volume_type: { name: 'gold' } });
  assert.equal(type.status, 200, type.text);
  const p = 'proj1';
  const keys = ['snapshots', 'gigabytes', 'snapshots_gold', 'gigabytes_gold'];
  const v = await availableVolume(k, { size: 2, volume_type: 'gold' }, p);
  assert.deepEqual(await usageOf(k, p, keys), {
    snapshots: { in_use: 0, reserved: 0 },
    gigabytes: { in_use: 2, reserved: 0 },
    snapshots_gold: { in_use: 0, reserved: 0 },
    gigabytes_gold: { in_use: 2, reserved: 0 },
  });

  const s = await availableSnapshot(k, v.id, {}, p);
  const used = {
    snapshots: { in_use: 1, reserved: 0 },
    gigabytes: { in_use: 4, reserved: 0 },
    snapshots_gold: { in_use: 1, reserved: 0 },
    gigabytes_gold: { in_use: 4, reserved: 0 },
  };
  assert.deepEqual(await usageOf(k, p, keys), used);

  const post = () => k.req('POST', `/v3/${p}/snapshots`, { snapshot: { volume_id: v.id } }, token(p));
  await setQuota(k, p, { snapshots: 1 });
  const overCount = await post();
  assert.equal(overCount.status, 413);
  assert.equal(
    overCount.body.overLimit.message,
    'SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded',
  );
  assert.deepEqual(await usageOf(k, p, keys), used, 'a refused snapshot leaves usage as it was');

  await setQuota(k, p, { snapshots: 10, gigabytes: 5 });
  const overSize = await post();
  assert.equal(overSize.status, 413);
  assert.equal(
    overSize.body.overLimit.message,
    'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 5G and 4G has been consumed.',
  );
  assert.deepEqual(await usageOf(k, p, keys), used);

  await setQuota(k, p, { gigabytes: 1000, snapshots_gold: 1 });
  const overType = await post();
  assert.equal(overType.status, 413);
  assert.equal(
    overType.body.overLimit.message,
    'SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded',
  );
  assert.equal(
    (await k.db.selectFrom('snapshots').select('id').where('project_id', '=', p).execute()).length,
    1,
    'no row is left behind by a refused snapshot',
  );

  assert.equal((await k.req('DELETE', `/v3/${p}/snapshots/${s.id}`, undefined, token(p))).status, 202);
  await waitForSnapshotStatus(k, s.id, ['deleted']);
  assert.deepEqual(await usageOf(k, p, keys), {
    snapshots: { in_use: 0, reserved: 0 },
    gigabytes: { in_use: 2, reserved: 0 },
    snapshots_gold: { in_use: 0, reserved: 0 },
    gigabytes_gold: { in_use: 2, reserved: 0 },
  });
  const again = await availableSnapshot(k, v.id, {}, p);
  assert.equal(again.status, 'available', 'the freed quota can be used again');
});

test('a failed snapshot keeps its quota until it is deleted; a cascade delete gives everything back', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const p = 'proj2';
  const keys = ['volumes', 'snapshots', 'gigabytes'];
  const v = await availableVolume(k, { size: 3 }, p);
  const s1 = await availableSnapshot(k, v.id, {}, p);
  const s2 = await availableSnapshot(k, v.id, {}, p);
  // A snapshot the backend failed to make (status error) still counts, as in Cinder.
  await k.req('POST', `/v3/admin/snapshots/${s2.id}/action`, { 'os-reset_status': { status: 'error' } });
  assert.deepEqual(await usageOf(k, p, keys), {
    volumes: { in_use: 1, reserved: 0 },
    snapshots: { in_use: 2, reserved: 0 },
    gigabytes: { in_use: 9, reserved: 0 },
  });
  const del = await k.req('DELETE', `/v3/${p}/volumes/${v.id}?cascade=true`, undefined, token(p));
  assert.equal(del.status, 202, del.text);
  await waitForSnapshotStatus(k, s1.id, ['deleted']);
  await waitForSnapshotStatus(k, s2.id, ['deleted']);
  await k.notifications.waitFor((n) => n.event_type === 'volume.delete.end' && n.payload.volume_id === v.id);
  assert.deepEqual(await usageOf(k, p, keys), {
    volumes: { in_use: 0, reserved: 0 },
    snapshots: { in_use: 0, reserved: 0 },
    gigabytes: { in_use: 0, reserved: 0 },
  });
});
