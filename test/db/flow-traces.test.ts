/**
 * Flow traces (migration 011, src/db/api/flow-traces.ts) on every dialect: stored with their
 * JSON, listed per volume oldest first, removed once expired; and the user-message column.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import {
  flowTraceCreate,
  flowTracesDeleteExpired,
  flowTracesForVolume,
} from '../../src/db/api/flow-traces.js';
import { formatTimestamp } from '../../src/common/time.js';

for (const dialect of DIALECTS) {
  describe(`flow traces db api [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    const values = (volume_id: string, flow: string, at: Date) => ({
      volume_id,
      project_id: 'p',
      request_id: 'req-1',
      flow,
      host: 'h@b',
      outcome: 'success',
      started_at: formatTimestamp(at),
      finished_at: formatTimestamp(new Date(at.getTime() + 5)),
      duration_ms: 5.4,
      tasks: [{ name: 'T', outcome: 'success', note: 'é ✓' }],
      decision: flow.includes('scheduler')
        ? { chosen: 'h@b#p', weights: [{ pool: 'h@b#p', weight: 1 }] }
        : null,
    });

    test('stored and listed oldest first, JSON parsed back', async () => {
      const v = randomUUID();
      const t0 = new Date(Date.now() - 1000);
      await flowTraceCreate(db, values(v, 'volume:create_scheduler', new Date(t0.getTime() + 10)), 60);
      await flowTraceCreate(db, values(v, 'volume:create_api', t0), 60);
      await flowTraceCreate(db, values(randomUUID(), 'volume:create_api', t0), 60);
      const rows = await flowTracesForVolume(db, v);
      assert.deepEqual(
        rows.map((r) => r.flow),
        ['volume:create_api', 'volume:create_scheduler'],
      );
      assert.deepEqual(rows[0]!.tasks, [{ name: 'T', outcome: 'success', note: 'é ✓' }]);
      assert.equal(rows[0]!.decision, null);
      assert.deepEqual(rows[1]!.decision, { chosen: 'h@b#p', weights: [{ pool: 'h@b#p', weight: 1 }] });
      assert.equal(rows[0]!.duration_ms, 5);
    });

    test('expired traces are removed, the others kept', async () => {
      const v = randomUUID();
      await flowTraceCreate(db, values(v, 'volume:create_api', new Date()), 1);
      await flowTraceCreate(db, values(v, 'volume:create_manager', new Date()), 3600);
      const removed = await flowTracesDeleteExpired(db, new Date(Date.now() + 10_000));
      assert.ok(removed >= 1);
      assert.deepEqual(
        (await flowTracesForVolume(db, v)).map((r) => r.flow),
        ['volume:create_manager'],
      );
    });

    test('messages have the detail_text column', async () => {
      await db
        .insertInto('messages')
        .values({
          id: randomUUID(),
          project_id: 'p',
          request_id: null,
          resource_type: 'VOLUME',
          resource_uuid: null,
          event_id: 'VOLUME_VOLUME_001_003',
          message_level: 'ERROR',
          expires_at: null,
          detail_text: 'x'.repeat(1024),
          created_at: formatTimestamp(new Date()),
          deleted: 0,
        })
        .execute();
    });
  });
}
