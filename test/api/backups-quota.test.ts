/** Backup quotas: `backups` and `backup_gigabytes` reserved, committed and given back, 413s as Cinder's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling, type TestKindling } from '../support/kindling.js';
import { availableVolume } from '../support/snapshots.js';
import { availableBackup, waitForBackupStatus } from './backups-support.js';

async function usage(
  k: TestKindling,
): Promise<Record<string, { in_use: number; reserved: number; limit: number }>> {
  const r = await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true');
  assert.equal(r.status, 200, r.text);
  return r.body.quota_set;
}

test('backups count against backups and backup_gigabytes; over quota is 413 with Cinder’s text', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  const set = await k.req('PUT', '/v3/admin/os-quota-sets/admin', {
    quota_set: { backups: 1, backup_gigabytes: 10 },
  });
  assert.equal(set.status, 200, set.text);

  const b = await availableBackup(k, v.id);
  let u = await usage(k);
  assert.deepEqual([u.backups!.in_use, u.backups!.reserved], [1, 0]);
  assert.deepEqual([u.backup_gigabytes!.in_use, u.backup_gigabytes!.reserved], [1, 0]);
  const limits = (await k.req('GET', '/v3/admin/limits')).body.limits.absolute;
  assert.equal(limits.totalBackupsUsed, 1);
  assert.equal(limits.totalBackupGigabytesUsed, 1);

  const over = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: v.id } });
  assert.equal(over.status, 413, over.text);
  assert.equal(over.headers['retry-after'], '0');
  assert.deepEqual(over.body, {
    overLimit: {
      code: 413,
      message: 'BackupLimitExceeded: Maximum number of backups allowed (1) exceeded',
      retryAfter: '0',
    },
  });
  assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.status, 'available');

  await k.req('PUT', '/v3/admin/os-quota-sets/admin', { quota_set: { backups: 10, backup_gigabytes: 1 } });
  const tooBig = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: v.id } });
  assert.equal(tooBig.status, 413, tooBig.text);
  assert.equal(
    tooBig.body.overLimit.message,
    'VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested 1G, quota is 1G and 1G has been consumed.',
  );
  u = await usage(k);
  assert.deepEqual([u.backups!.in_use, u.backups!.reserved, u.backup_gigabytes!.reserved], [1, 0, 0]);

  // A delete gives it all back, once.
  assert.equal((await k.req('DELETE', `/v3/admin/backups/${b.id}`)).status, 202);
  await waitForBackupStatus(k, b.id, ['deleted']);
  u = await usage(k);
  assert.deepEqual([u.backups!.in_use, u.backup_gigabytes!.in_use], [0, 0]);
  // Room again.
  const again = await availableBackup(k, v.id);
  u = await usage(k);
  assert.deepEqual([u.backups!.in_use, u.backup_gigabytes!.in_use], [1, 1]);
  assert.equal(again.size, 1);
});
