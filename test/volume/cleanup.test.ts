/**
 * `do_cleanup` (src/volume/cleanup.ts) on a real core: the `workers` rows of a dead service are
 * claimed and their volumes finished or reset as the table in docs/operations.md says — creating
 * resumed, deleting retried, downloading → error, uploading → available/in-use — rows whose
 * volume moved on or is gone just removed, a failed cleanup's row given back, other services' rows
 * and rows newer than the request left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { flowCore } from '../support/flow-core.js';
import { volumeCreate, volumeGet, type VolumeCreateValues } from '../../src/db/api/volumes.js';
import { workerGetAll } from '../../src/db/api/workers.js';
import { doCleanup, type CleanupActions } from '../../src/volume/cleanup.js';
import { volumeRow } from '../support/volume-row.js';

const vol = (over: Partial<VolumeCreateValues>): VolumeCreateValues =>
  volumeRow({ host: 'dead@file#file', cluster_name: 'c1@file#file', ...over });

const DEAD = 5;
const OTHER = 7;
const ME = 9;
const OLD = '2026-01-01T00:00:00.000000';

test("a dead service's workers rows: claimed, each volume finished or reset, failures given back", async (t) => {
  const { deps } = await flowCore(t);
  const db = deps.dbh.db;
  const row = async (
    status: string,
    over: Partial<VolumeCreateValues> = {},
    worker: { status?: string; service_id?: number; updated_at?: string } = {},
  ) => {
    const v = vol({ status, ...over });
    await volumeCreate(db, v);
    await db
      .insertInto('workers')
      .values({
        resource_type: 'Volume',
        resource_id: v.id,
        status: worker.status ?? status,
        service_id: worker.service_id ?? DEAD,
        cleaning: 0,
        created_at: OLD,
        updated_at: worker.updated_at ?? OLD,
        deleted: 0,
      })
      .execute();
    return v.id;
  };
  const creating = await row('creating');
  const deleting = await row('deleting');
  const downloading = await row('downloading');
  const uploadingFree = await row('uploading');
  const uploadingAttached = await row('uploading', { attach_status: 'attached' });
  const movedOn = await row('available', {}, { status: 'creating' });
  const failing = await row('creating');
  const othersRow = await row('creating', {}, { service_id: OTHER });
  const newer = await row('creating', {}, { updated_at: '2999-01-01T00:00:00.000000' });
  const gone = randomUUID();
  await db
    .insertInto('workers')
    .values({
      resource_type: 'Volume',
      resource_id: gone,
      status: 'deleting',
      service_id: DEAD,
      cleaning: 0,
      created_at: OLD,
      updated_at: OLD,
      deleted: 0,
    })
    .execute();

  const calls: string[] = [];
  const actions: CleanupActions = {
    serviceId: ME,
    resumeCreate: async (id) => {
      if (id === failing) throw new Error('driver down');
      calls.push(`create ${id}`);
    },
    retryDelete: async (id) => {
      calls.push(`delete ${id}`);
    },
    resumeSnapshotCreate: async (id) => {
      calls.push(`snapshot create ${id}`);
    },
    retrySnapshotDelete: async (id) => {
      calls.push(`snapshot delete ${id}`);
    },
  };
  const cleaned = await doCleanup(deps, actions, { service_id: DEAD });

  assert.deepEqual(calls.sort(), [`create ${creating}`, `delete ${deleting}`].sort());
  assert.equal((await volumeGet(db, downloading))?.status, 'error');
  assert.equal((await volumeGet(db, uploadingFree))?.status, 'available');
  assert.equal((await volumeGet(db, uploadingAttached))?.status, 'in-use');
  assert.equal((await volumeGet(db, movedOn))?.status, 'available');
  const byId = new Map(cleaned.map((c) => [c.resource_id, c.action]));
  assert.deepEqual(
    [creating, deleting, downloading, uploadingFree, movedOn, gone].map((id) => byId.get(id)),
    ['resumed', 'retried', 'reset', 'reset', 'skipped', 'skipped'],
  );

  // Left: the failed one (back with the dead service, its time kept), the other service's row
  // and the row newer than the request.
  const left = await workerGetAll(db, {});
  assert.deepEqual(
    left.map((w) => [w.resource_id, w.service_id, w.updated_at]).sort(),
    [
      [failing, DEAD, OLD],
      [othersRow, OTHER, OLD],
      [newer, DEAD, '2999-01-01T00:00:00.000000'],
    ].sort(),
  );
  // The failed row can be claimed again later; a request naming no service cleans nothing.
  assert.deepEqual(await doCleanup(deps, { ...actions, serviceId: ME }, {}), []);
  const again = await doCleanup(
    deps,
    { ...actions, resumeCreate: async (id) => void calls.push(`create ${id}`) },
    { service_id: DEAD, resource_id: failing },
  );
  assert.deepEqual(
    again.map((c) => [c.resource_id, c.action]),
    [[failing, 'resumed']],
  );
});
