/**
 * An incremental backup's parent counts its dependents (`num_dependent_backups`, shown as
 * `has_dependent_backups`): raised and lowered in one statement (src/db/api/backups.ts,
 * backupAdjustDependents), so incrementals finishing or deleted at the same time all count — a
 * read-then-write lost one — and never below 0; on every dialect.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import { backupAdjustDependents, backupCreate, backupGet } from '../../src/db/api/backups.js';

for (const dialect of DIALECTS) {
  describe(`backup dependents [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    test('concurrent changes all count, in transactions too; never below 0', async () => {
      const parent = randomUUID();
      await backupCreate(db, { id: parent, volume_id: randomUUID(), status: 'available' });
      await Promise.all(
        Array.from({ length: 8 }, () =>
          db.transaction().execute((trx) => backupAdjustDependents(trx, parent, 1)),
        ),
      );
      assert.equal((await backupGet(db, parent))!.num_dependent_backups, 8);
      await Promise.all(Array.from({ length: 10 }, () => backupAdjustDependents(db, parent, -1)));
      assert.equal((await backupGet(db, parent))!.num_dependent_backups, 0);
    });
  });
}
