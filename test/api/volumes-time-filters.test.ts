/**
 * Volume lists' time comparison filters (3.60, and listed in the resource filters file):
 * `created_at` / `updated_at` = `op:time[,op:time…]`, ops gt, gte, eq, neq, lt, lte, times in ISO
 * 8601 (a zone is honoured); several comparisons of one key match when any one holds, as Cinder's
 * query joins them with OR. Bad operators and times are Cinder's 400s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';

const k: TestKindling = await startTestKindling();
test.after(() => k.close());

const ids: Record<string, string> = {};
for (const [name, created, updated] of [
  ['v2020', '2020-01-01T00:00:00.000000', null],
  ['v2021', '2021-06-15T12:30:00.000000', '2022-01-01T00:00:00.000000'],
  ['v2022', '2022-03-01T08:00:00.500000', null],
] as const) {
  const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, name } });
  assert.equal(r.status, 202, r.text);
  ids[name] = r.body.volume.id;
  // Settled first, so that nothing updates it after the times are set.
  await waitForVolumeStatus(k, r.body.volume.id, ['available']);
  await k.db
    .updateTable('volumes')
    .set({ created_at: created, updated_at: updated })
    .where('id', '=', r.body.volume.id)
    .execute();
}

async function names(query: string, version = '3.60'): Promise<unknown> {
  const r = await k.req('GET', `/v3/admin/volumes?${query}`, undefined, mv(version));
  if (r.status !== 200) return r.body;
  return r.body.volumes.map((v: any) => v.name).sort();
}

test('created_at comparisons', async () => {
  assert.deepEqual(await names('created_at=gt:2021-01-01T00:00:00'), ['v2021', 'v2022']);
  assert.deepEqual(await names('created_at=lte:2021-06-15T12:30:00'), ['v2020', 'v2021']);
  assert.deepEqual(await names('created_at=eq:2021-06-15T12:30:00'), ['v2021']);
  assert.deepEqual(await names('created_at=neq:2021-06-15T12:30:00'), ['v2020', 'v2022']);
  assert.deepEqual(await names('created_at=gte:2022-03-01T08:00:00.5'), ['v2022']);
  // A zone is honoured: 10:00+02:00 is 08:00 UTC.
  assert.deepEqual(await names('created_at=gt:2022-03-01T10:00:00%2B02:00'), ['v2022']);
  assert.deepEqual(await names('created_at=gt:2022-03-01T10:00:01%2B02:00'), []);
  // Several comparisons: any one of them (Cinder ORs them).
  assert.deepEqual(await names('created_at=lt:2020-06-01T00:00:00,gt:2022-01-01T00:00:00'), [
    'v2020',
    'v2022',
  ]);
});

test('updated_at comparisons: a volume never updated matches none', async () => {
  assert.deepEqual(await names('updated_at=gt:2000-01-01T00:00:00'), ['v2021']);
  assert.deepEqual(await names('updated_at=neq:2000-01-01T00:00:00'), ['v2021']);
});

test("Cinder's 400s for a bad operator or time; below 3.31 the filters are dropped", async () => {
  const bad = (message: string) => ({ badRequest: { code: 400, message } });
  assert.deepEqual(await names('created_at=after:2021-01-01'), bad('Invalid after operator'));
  assert.deepEqual(await names('created_at=gt'), bad('Invalid gt value'));
  assert.deepEqual(await names('created_at=gt:yesterday'), bad('Invalid yesterday value'));
  assert.deepEqual(await names('created_at=2021-01-01'), bad('Invalid 2021-01-01 operator'));
  assert.deepEqual(await names('created_at=gt:2021-01-01T00:00:00', '3.30'), ['v2020', 'v2021', 'v2022']);
});
