/**
 * A create killed between its volume row and its quota commit (issue 11, item 1): the row is left
 * `creating` with no host, its reservations uncommitted. The scheduler's sweep places it later;
 * its quota must then be committed exactly once. A row deleted before that gives its reservations
 * back instead of releasing usage it never had. Runs embedded and distributed: the crash is
 * reproduced by running the api flow's own tasks up to EntryCreateTask against the deployment's
 * database, the sweep is the real scheduler's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quotaUsageCheckProject } from '../../src/db/api/quota-usages.js';
import { volumeTypeGetByName } from '../../src/db/api/volume-types.js';
import { apiFlowDeps, crashBeforeQuotaCommit, createRequest, userContext } from '../support/api-flow.js';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { quotaUsage, token } from '../support/snapshots.js';

const SWEEP_SOON = {
  KINDLING__DEFAULT__periodic_interval: '1',
  // NOTE: long enough for a test to act on the crashed row before the sweep may take it.
  KINDLING__DEFAULT__stuck_operation_timeout: '3',
};

/** in_use/reserved of the resources a `gold` volume counts against. */
async function usageOf(k: TestKindling, project: string) {
  const u = await quotaUsage(k, project);
  const pick = (r: string) => [u[r]?.in_use ?? 0, u[r]?.reserved ?? 0];
  return {
    volumes: pick('volumes'),
    gigabytes: pick('gigabytes'),
    volumes_gold: pick('volumes_gold'),
    gigabytes_gold: pick('gigabytes_gold'),
  };
}

async function goldType(k: TestKindling) {
  const r = await k.req('POST', '/v3/admin/types', { volume_type: { name: 'gold' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (await volumeTypeGetByName(k.db, 'gold'))!;
}

async function availableGold(k: TestKindling, project: string, size: number): Promise<string> {
  const r = await k.req(
    'POST',
    `/v3/${project}/volumes`,
    { volume: { size, volume_type: 'gold' } },
    token(project),
  );
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await waitForVolumeStatus(k, r.body.volume.id, ['available']);
  return r.body.volume.id;
}

test('a create killed before its quota commit: the sweep places the volume and commits its quota once', async (t) => {
  const k = await startTestKindling(SWEEP_SOON);
  t.after(() => k.close());
  const gold = await goldType(k);
  await availableGold(k, 'p1', 1);
  assert.deepEqual(await usageOf(k, 'p1'), {
    volumes: [1, 0],
    gigabytes: [1, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [1, 0],
  });

  const deps = apiFlowDeps(k);
  const crashed = await crashBeforeQuotaCommit(
    deps,
    createRequest(userContext('p1'), { size: 2, volume_type: gold }),
  );
  assert.equal(crashed.status, 'creating');
  assert.deepEqual(await usageOf(k, 'p1'), {
    volumes: [1, 1],
    gigabytes: [1, 2],
    volumes_gold: [1, 1],
    gigabytes_gold: [1, 2],
  });

  const v = await waitForVolumeStatus(k, crashed.id, ['available', 'error'], 30_000);
  assert.equal(v.status, 'available');
  const committed = {
    volumes: [2, 0],
    gigabytes: [3, 0],
    volumes_gold: [2, 0],
    gigabytes_gold: [3, 0],
  };
  assert.deepEqual(await usageOf(k, 'p1'), committed);
  // `kindling manage quota check` agrees with the usage rows.
  assert.deepEqual((await quotaUsageCheckProject(k.core.dbh, 'p1', false)).discrepancies, []);

  // Later sweeps and the expiry of old reservations do not count it again.
  await new Promise((r) => setTimeout(r, 2500));
  await deps.quotas.expire(new Date(Date.now() + 10 * 86400_000));
  assert.deepEqual(await usageOf(k, 'p1'), committed);

  // Deleting it gives back exactly what it used.
  assert.equal((await k.req('DELETE', `/v3/p1/volumes/${crashed.id}`, undefined, token('p1'))).status, 202);
  await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${crashed.id}`)).status === 404);
  await waitUsage(k, 'p1', {
    volumes: [1, 0],
    gigabytes: [1, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [1, 0],
  });
});

test('a crashed create whose reservations expired first still counts once it is placed', async (t) => {
  const k = await startTestKindling(SWEEP_SOON);
  t.after(() => k.close());
  const gold = await goldType(k);
  const deps = apiFlowDeps(k);
  const crashed = await crashBeforeQuotaCommit(
    deps,
    createRequest(userContext('p2'), { size: 3, volume_type: gold }),
  );
  // The reservation expiry ran before the sweep found the row.
  assert.equal(await deps.quotas.expire(new Date(Date.now() + 10 * 86400_000)), 4);
  assert.deepEqual(await usageOf(k, 'p2'), {
    volumes: [0, 0],
    gigabytes: [0, 0],
    volumes_gold: [0, 0],
    gigabytes_gold: [0, 0],
  });
  const v = await waitForVolumeStatus(k, crashed.id, ['available', 'error'], 30_000);
  assert.equal(v.status, 'available');
  assert.deepEqual(await usageOf(k, 'p2'), {
    volumes: [1, 0],
    gigabytes: [3, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [3, 0],
  });
  assert.deepEqual((await quotaUsageCheckProject(k.core.dbh, 'p2', false)).discrepancies, []);
});

test('a crashed create deleted before it was placed gives its reservation back, not usage it never had', async (t) => {
  const k = await startTestKindling(SWEEP_SOON);
  t.after(() => k.close());
  const gold = await goldType(k);
  await availableGold(k, 'p3', 1);
  const crashed = await crashBeforeQuotaCommit(
    apiFlowDeps(k),
    createRequest(userContext('p3'), { size: 2, volume_type: gold }),
  );
  // An admin removes the stuck row (force-delete: a `creating` volume with no host goes at once).
  const del = await k.req('POST', `/v3/admin/volumes/${crashed.id}/action`, { 'os-force_delete': null });
  assert.equal(del.status, 202, JSON.stringify(del.body));
  await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${crashed.id}`)).status === 404);
  await waitUsage(k, 'p3', {
    volumes: [1, 0],
    gigabytes: [1, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [1, 0],
  });
  // A later sweep finds nothing to commit.
  await new Promise((r) => setTimeout(r, 4500));
  assert.deepEqual(await usageOf(k, 'p3'), {
    volumes: [1, 0],
    gigabytes: [1, 0],
    volumes_gold: [1, 0],
    gigabytes_gold: [1, 0],
  });
  assert.deepEqual((await quotaUsageCheckProject(k.core.dbh, 'p3', false)).discrepancies, []);
});

/** Waits (up to 20 s) for a project's usage to read `want`; fails showing the last reading. */
async function waitUsage(k: TestKindling, project: string, want: Awaited<ReturnType<typeof usageOf>>) {
  let last: unknown;
  for (const end = Date.now() + 20_000; Date.now() < end;) {
    last = await usageOf(k, project);
    try {
      assert.deepEqual(last, want);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.deepEqual(last, want);
}
