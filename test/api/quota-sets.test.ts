/**
 * `/os-quota-sets` and `/limits`: limits and usage a project sees, per-type keys that come with
 * volume types, and the admin's updates and resets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, waitForVolumeStatus } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';
import { QUOTA_DEFAULTS as DEFAULTS } from './quota-defaults.js';

test('show and defaults list every resource with its limit and the project id', async (t) => {
  const k = await startForTest(t);
  const show = await k.req('GET', '/v3/os-quota-sets/demo');
  assert.equal(show.status, 200);
  assert.deepEqual(show.body, { quota_set: { ...DEFAULTS, id: 'demo' } });

  const defaults = await k.req('GET', '/v3/admin/os-quota-sets/demo/defaults');
  assert.equal(defaults.status, 200);
  assert.deepEqual(defaults.body, { quota_set: { ...DEFAULTS, id: 'demo' } });

  const usage = await k.req('GET', '/v3/os-quota-sets/demo?usage=true');
  assert.deepEqual(usage.body.quota_set.volumes, { limit: 10, in_use: 0, reserved: 0 });
  assert.equal(usage.body.quota_set.id, 'demo');

  const bad = await k.req('GET', '/v3/os-quota-sets/demo?usage=maybe');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, {
    badRequest: { code: 400, message: "Value 'maybe' for 'usage' is not a boolean." },
  });
});

test('a new type brings per-type keys; a volume of that type counts against them', async (t) => {
  const k = await startForTest(t);
  const created = await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } });
  assert.equal(created.status, 200);
  const before = (await k.req('GET', '/v3/os-quota-sets/admin')).body.quota_set;
  assert.equal(before.volumes_gold, -1);
  assert.equal(before.gigabytes_gold, -1);
  assert.equal(before.snapshots_gold, -1);

  const vol = await k.req('POST', '/v3/volumes', { volume: { size: 2, volume_type: 'gold' } });
  assert.equal(vol.status, 202, vol.text);
  await waitForVolumeStatus(k, vol.body.volume.id, ['available']);

  const q = (await k.req('GET', '/v3/os-quota-sets/admin?usage=true')).body.quota_set;
  assert.deepEqual(q.volumes_gold, { limit: -1, in_use: 1, reserved: 0 });
  assert.deepEqual(q.gigabytes_gold, { limit: -1, in_use: 2, reserved: 0 });
  assert.deepEqual(q.volumes, { limit: 10, in_use: 1, reserved: 0 });
  assert.deepEqual(q.gigabytes, { limit: 1000, in_use: 2, reserved: 0 });
  assert.deepEqual(q.volumes___DEFAULT__, { limit: -1, in_use: 0, reserved: 0 });

  const limits = (await k.req('GET', '/v3/limits')).body.limits.absolute;
  assert.equal(limits.totalVolumesUsed, 1);
  assert.equal(limits.totalGigabytesUsed, 2);
});

test('update sets limits; bad keys and limits below usage are refused; delete resets', async (t) => {
  const k = await startForTest(t);
  await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } });
  const vol = await k.req('POST', '/v3/volumes', { volume: { size: 3, volume_type: 'gold' } });
  assert.equal(vol.status, 202, vol.text);
  await waitForVolumeStatus(k, vol.body.volume.id, ['available']);

  const badKey = await k.req('PUT', '/v3/os-quota-sets/admin', {
    quota_set: { volumes: 5, bogus: 1, volumes_nosuchtype: 2 },
  });
  assert.equal(badKey.status, 400);
  assert.deepEqual(badKey.body, {
    badRequest: {
      code: 400,
      message: 'Invalid input received: Bad key(s) in quota set: bogus, volumes_nosuchtype',
    },
  });

  const below = await k.req('PUT', '/v3/os-quota-sets/admin', { quota_set: { gigabytes_gold: 2 } });
  assert.equal(below.status, 400);
  assert.deepEqual(below.body, {
    badRequest: {
      code: 400,
      message:
        'Quota gigabytes_gold limit must be equal or greater than existing resources. Current usage is 3 and the requested limit is 2.',
    },
  });

  const negative = await k.req('PUT', '/v3/os-quota-sets/admin', { quota_set: { volumes: -2 } });
  assert.equal(negative.status, 400);
  assert.equal(negative.body.badRequest.message, 'volumes must be >= -1');

  const ok = await k.req('PUT', '/v3/os-quota-sets/admin', {
    quota_set: { volumes: 4, gigabytes_gold: 3, per_volume_gigabytes: 1, snapshots: -1 },
  });
  assert.equal(ok.status, 200);
  // NOTE: the update answer has no `id`, as in Cinder.
  assert.deepEqual(ok.body, {
    quota_set: {
      ...DEFAULTS,
      volumes: 4,
      snapshots: -1,
      per_volume_gigabytes: 1,
      volumes_gold: -1,
      gigabytes_gold: 3,
      snapshots_gold: -1,
    },
  });
  assert.equal((await k.req('GET', '/v3/limits')).body.limits.absolute.maxTotalVolumes, 4);
  // Other projects and the defaults are untouched.
  assert.equal((await k.req('GET', '/v3/os-quota-sets/other')).body.quota_set.volumes, 10);
  assert.equal((await k.req('GET', '/v3/os-quota-sets/admin/defaults')).body.quota_set.volumes, 10);

  const reset = await k.req('DELETE', '/v3/os-quota-sets/admin');
  assert.equal(reset.status, 200);
  const after = (await k.req('GET', '/v3/os-quota-sets/admin')).body.quota_set;
  assert.equal(after.volumes, 10);
  assert.equal(after.gigabytes_gold, -1);
});

test('limits: absolute limits and usage; admins may name another project from 3.39', async (t) => {
  const k = await startForTest(t);
  const r = await k.req('GET', '/v3/limits');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    limits: {
      rate: [],
      absolute: {
        maxTotalVolumeGigabytes: 1000,
        maxTotalBackupGigabytes: 1000,
        maxTotalVolumes: 10,
        maxTotalSnapshots: 10,
        maxTotalBackups: 10,
        totalVolumesUsed: 0,
        totalGigabytesUsed: 0,
        totalSnapshotsUsed: 0,
        totalBackupsUsed: 0,
        totalBackupGigabytesUsed: 0,
      },
    },
  });
  assert.equal((await k.req('PUT', '/v3/os-quota-sets/other', { quota_set: { volumes: 3 } })).status, 200);
  assert.equal(
    (await k.req('GET', '/v3/limits?project_id=other', undefined, mv('3.39'))).body.limits.absolute
      .maxTotalVolumes,
    3,
  );
  assert.equal(
    (await k.req('GET', '/v3/limits?tenant_id=other', undefined, mv('3.39'))).body.limits.absolute
      .maxTotalVolumes,
    3,
  );
  // Before 3.39 the parameter is ignored: the caller's own project.
  assert.equal(
    (await k.req('GET', '/v3/limits?project_id=other', undefined, mv('3.38'))).body.limits.absolute
      .maxTotalVolumes,
    10,
  );
});
