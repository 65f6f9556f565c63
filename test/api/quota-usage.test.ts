/**
 * `GET /os-quota-sets/{project}?usage=true`: every resource as `{limit, in_use, reserved}` — no
 * `allocated` key, as Cinder Zed answers — with pending reservations in `reserved`, committed usage
 * in `in_use`, and per-type keys that come and go with their volume types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuotaEngine } from '../../src/quota/quota-engine.js';
import { quotaDefaults } from '../../src/service/core.js';
import { waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';

async function usageView(k: TestKindling, project = 'admin'): Promise<Record<string, any>> {
  const r = await k.req('GET', `/v3/admin/os-quota-sets/${project}?usage=true`);
  assert.equal(r.status, 200, r.text);
  return r.body.quota_set;
}

test('every resource is {limit, in_use, reserved}, and nothing else', async (t) => {
  const k = await startForTest(t);
  await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } });
  const q = await usageView(k);
  assert.equal(q.id, 'admin');
  const resources = Object.keys(q).filter((key) => key !== 'id');
  assert.deepEqual(resources.sort(), [
    'backup_gigabytes',
    'backups',
    'gigabytes',
    'gigabytes___DEFAULT__',
    'gigabytes_gold',
    'groups',
    'per_volume_gigabytes',
    'snapshots',
    'snapshots___DEFAULT__',
    'snapshots_gold',
    'volumes',
    'volumes___DEFAULT__',
    'volumes_gold',
  ]);
  for (const r of resources) assert.deepEqual(Object.keys(q[r]), ['limit', 'in_use', 'reserved'], r);
  // Without usage (or usage=false) the same resources are plain limits.
  const plain = (await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=false')).body.quota_set;
  for (const r of resources) assert.equal(plain[r], q[r].limit, r);
});

test('a pending reservation is reserved; committed it is in_use; per-type keys follow', async (t) => {
  const k = await startForTest(t);
  await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } });
  await k.req('PUT', '/v3/admin/os-quota-sets/admin', { quota_set: { gigabytes_gold: 50 } });
  // A reservation in flight (what a create holds between its reserve and commit).
  const quotas = new QuotaEngine(k.core.dbh, {
    defaults: quotaDefaults(k.core.config),
    reservation_expire: 86400,
    use_default_quota_class: true,
  });
  const pending = await quotas.reserve('admin', {
    volumes: 1,
    gigabytes: 4,
    volumes_gold: 1,
    gigabytes_gold: 4,
  });
  let q = await usageView(k);
  assert.deepEqual(q.volumes, { limit: 10, in_use: 0, reserved: 1 });
  assert.deepEqual(q.gigabytes, { limit: 1000, in_use: 0, reserved: 4 });
  assert.deepEqual(q.gigabytes_gold, { limit: 50, in_use: 0, reserved: 4 });

  const v = await k.req('POST', '/v3/volumes', { volume: { size: 3, volume_type: 'gold' } });
  assert.equal(v.status, 202, v.text);
  await waitForVolumeStatus(k, v.body.volume.id, ['available']);
  q = await usageView(k);
  assert.deepEqual(q.volumes, { limit: 10, in_use: 1, reserved: 1 });
  assert.deepEqual(q.gigabytes_gold, { limit: 50, in_use: 3, reserved: 4 });
  assert.deepEqual(q.volumes___DEFAULT__, { limit: -1, in_use: 0, reserved: 0 });

  await quotas.rollback(pending);
  q = await usageView(k);
  assert.deepEqual(q.volumes, { limit: 10, in_use: 1, reserved: 0 });
  assert.deepEqual(q.gigabytes_gold, { limit: 50, in_use: 3, reserved: 0 });

  // Another project's view is its own.
  const other = await usageView(k, 'other');
  assert.deepEqual(other.volumes, { limit: 10, in_use: 0, reserved: 0 });

  const del = await k.req('DELETE', `/v3/volumes/${v.body.volume.id}`);
  assert.equal(del.status, 202);
  for (let i = 0; i < 200; i++) {
    q = await usageView(k);
    if (q.volumes.in_use === 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.deepEqual(q.volumes, { limit: 10, in_use: 0, reserved: 0 });
  assert.deepEqual(q.gigabytes_gold, { limit: 50, in_use: 0, reserved: 0 });
});

test('per-type keys can be set, show in defaults, and go away with their type', async (t) => {
  const k = await startForTest(t);
  await k.req('POST', '/v3/types', { volume_type: { name: 'silver' } });
  const put = await k.req('PUT', '/v3/admin/os-quota-sets/admin', {
    quota_set: { volumes_silver: 2, snapshots_silver: 1 },
  });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.quota_set.volumes_silver, 2);
  assert.deepEqual((await usageView(k)).snapshots_silver, { limit: 1, in_use: 0, reserved: 0 });
  const defaults = (await k.req('GET', '/v3/admin/os-quota-sets/admin/defaults')).body.quota_set;
  assert.equal(defaults.volumes_silver, -1);

  // Enforced on creates of that type.
  for (let i = 0; i < 2; i++) {
    const r = await k.req('POST', '/v3/volumes', { volume: { size: 1, volume_type: 'silver' } });
    assert.equal(r.status, 202, r.text);
    await waitForVolumeStatus(k, r.body.volume.id, ['available']);
  }
  const third = await k.req('POST', '/v3/volumes', { volume: { size: 1, volume_type: 'silver' } });
  assert.equal(third.status, 413);
  assert.equal(
    third.body.overLimit.message,
    "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes_silver'.",
  );
  // As Cinder's quota errors: retry hint in the header and the body.
  assert.equal(third.headers['retry-after'], '0');
  assert.equal(third.body.overLimit.retryAfter, '0');

  // A type without volumes can be deleted; its keys leave the views and cannot be set any more.
  const empty = await k.req('POST', '/v3/types', { volume_type: { name: 'bronze' } });
  assert.ok('volumes_bronze' in (await usageView(k)));
  assert.equal((await k.req('DELETE', `/v3/types/${empty.body.volume_type.id}`)).status, 202);
  assert.ok(!('volumes_bronze' in (await usageView(k))));
  const gone = await k.req('PUT', '/v3/admin/os-quota-sets/admin', { quota_set: { volumes_bronze: 1 } });
  assert.equal(gone.status, 400);
  assert.equal(
    gone.body.badRequest.message,
    'Invalid input received: Bad key(s) in quota set: volumes_bronze',
  );
});
