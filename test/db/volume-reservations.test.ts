/**
 * A new volume's pending quota (src/quota/volume-reservations.ts) on every dialect: committed
 * exactly once whoever gets there (the api flow, the scheduler's sweep, several at once), counted
 * even when its reservations expired first, given back (not released as usage) when the row goes
 * first, and left out of `quota check`'s recount while pending.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { volumeRow } from '../support/volume-row.js';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { CoreDeps } from '../../src/common/deps.js';
import { quotaUsageCheckProject } from '../../src/db/api/quota-usages.js';
import { volumeCreate, volumeDestroy, volumeGet, type VolumeCreateValues } from '../../src/db/api/volumes.js';
import { QuotaEngine } from '../../src/quota/quota-engine.js';
import { volumeDeltas } from '../../src/quota/resources.js';
import {
  commitVolumeQuota,
  discardVolumeIfQuotaPending,
  pendingQuotaMetadata,
  settlePendingVolumeQuotas,
} from '../../src/quota/volume-reservations.js';
import { destroyVolumeReleasingQuota } from '../../src/volume/volume-destroy.js';
import { TEST_SEED } from '../support/dialects.js';

function vol(project: string, size: number): VolumeCreateValues {
  return volumeRow({
    user_id: 'u',
    project_id: project,
    size,
    status: 'creating',
    volume_type_id: TEST_SEED.defaultVolumeTypeId,
  });
}

for (const dialect of DIALECTS) {
  describe(`pending volume quota [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let deps: CoreDeps;
    before(async () => {
      t = await openFreshDatabase(dialect);
      const quotas = new QuotaEngine(t.handle, {
        defaults: { volumes: 100, gigabytes: 1000 },
        reservation_expire: 86400,
        use_default_quota_class: false,
      });
      deps = { dbh: t.handle, quotas } as Partial<CoreDeps> as CoreDeps;
    });
    after(() => t?.close());

    /** in_use/reserved of volumes and gigabytes. */
    async function usage(project: string): Promise<[number, number, number, number]> {
      const u = await deps.quotas.projectQuotas(project);
      return [u.volumes!.in_use, u.volumes!.reserved, u.gigabytes!.in_use, u.gigabytes!.reserved];
    }

    /** What EntryCreateTask leaves: reservations and the row with their note, not committed. */
    async function pendingVolume(project: string, size: number) {
      const reservations = await deps.quotas.reserve(project, volumeDeltas(size, null));
      const v = vol(project, size);
      await volumeCreate(t.handle.db, { ...v, admin_metadata: pendingQuotaMetadata(reservations) });
      return { id: v.id, reservations };
    }

    test('committed exactly once, however many settle it at the same time', async () => {
      const v = await pendingVolume('once', 4);
      assert.deepEqual(await usage('once'), [0, 1, 0, 4]);
      assert.deepEqual((await quotaUsageCheckProject(t.handle, 'once', false)).discrepancies, []);
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => commitVolumeQuota(deps, v.id)));
      assert.equal(results.filter(Boolean).length, 1, 'one of them committed');
      assert.deepEqual(await usage('once'), [1, 0, 4, 0]);
      assert.equal(await commitVolumeQuota(deps, v.id), false);
      await deps.quotas.commit(v.reservations); // a stray commit of the same ids changes nothing
      assert.deepEqual(await usage('once'), [1, 0, 4, 0]);
      assert.deepEqual((await quotaUsageCheckProject(t.handle, 'once', false)).discrepancies, []);
    });

    test('reservations expired before the commit still count the volume, once', async () => {
      const v = await pendingVolume('late', 2);
      await deps.quotas.expire(new Date(Date.now() + 2 * 86400_000));
      assert.deepEqual(await usage('late'), [0, 0, 0, 0]);
      assert.equal(await commitVolumeQuota(deps, v.id), true);
      assert.equal(await commitVolumeQuota(deps, v.id), false);
      assert.deepEqual(await usage('late'), [1, 0, 2, 0]);
    });

    test('deleting a pending volume gives its reservations back and releases no usage', async () => {
      const counted = await pendingVolume('gone', 1);
      await commitVolumeQuota(deps, counted.id);
      const v = await pendingVolume('gone', 3);
      assert.deepEqual(await usage('gone'), [1, 1, 1, 3]);
      await destroyVolumeReleasingQuota(deps, (await volumeGet(t.handle.db, v.id))!);
      assert.deepEqual(await usage('gone'), [1, 0, 1, 0]);
      assert.equal(await commitVolumeQuota(deps, v.id), false, 'nothing left to commit');
      // The counted one releases its usage as before.
      await destroyVolumeReleasingQuota(deps, (await volumeGet(t.handle.db, counted.id))!);
      assert.deepEqual(await usage('gone'), [0, 0, 0, 0]);
    });

    test('the api flow’s revert takes the row and its reservations together, only while pending', async () => {
      const v = await pendingVolume('rev', 2);
      assert.equal(await discardVolumeIfQuotaPending(deps, v.id), true);
      assert.equal(await volumeGet(t.handle.db, v.id), null);
      assert.deepEqual(await usage('rev'), [0, 0, 0, 0]);
      const kept = await pendingVolume('rev', 2);
      await commitVolumeQuota(deps, kept.id);
      assert.equal(await discardVolumeIfQuotaPending(deps, kept.id), false);
      assert.ok(await volumeGet(t.handle.db, kept.id), 'a committed volume keeps its row');
      assert.deepEqual(await usage('rev'), [1, 0, 2, 0]);
    });

    test('the periodic pass commits live volumes left pending and rolls back deleted ones', async () => {
      const live = await pendingVolume('sweep', 1);
      const dropped = await pendingVolume('sweep', 5);
      // Row gone without its quota settled (soft-deleted with its admin metadata).
      await volumeDestroy(t.handle.db, dropped.id);
      assert.deepEqual(await usage('sweep'), [0, 2, 0, 6]);
      assert.deepEqual(await settlePendingVolumeQuotas(deps, 3600), { committed: [], rolledBack: [] });
      const done = await settlePendingVolumeQuotas(deps, -5);
      assert.deepEqual(done.committed, [live.id]);
      assert.deepEqual(done.rolledBack, [dropped.id]);
      assert.deepEqual(await usage('sweep'), [1, 0, 1, 0]);
      assert.deepEqual(await settlePendingVolumeQuotas(deps, -5), { committed: [], rolledBack: [] });
      assert.deepEqual(await usage('sweep'), [1, 0, 1, 0]);
    });
  });
}
