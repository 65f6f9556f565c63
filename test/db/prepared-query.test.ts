/**
 * Prepared queries (src/db/prepared-query.ts): built once per shape, they must answer exactly what
 * the same query built anew answers, with each call's own values, inside and outside transactions,
 * on every engine; a value the SQL does not bind is refused.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import { preparedQuery } from '../../src/db/prepared-query.js';

interface Filter {
  project: string;
  ids?: string[];
  name?: string | null;
}

/** The query under test, as a plain kysely builder. */
function quotasOf(db: Db, f: Filter) {
  let q = db
    .selectFrom('quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', f.project)
    .where('deleted', '=', 0);
  if (f.ids !== undefined) q = q.where('resource', 'in', f.ids);
  if (f.name !== undefined) q = q.where('resource', '=', f.name);
  return q.orderBy('resource');
}

const preparedQuotasOf = preparedQuery(quotasOf);

const setLimit = preparedQuery((db, v: { project: string; resource: string; limit: number; now: string }) =>
  db
    .updateTable('quotas')
    .set({ hard_limit: v.limit, updated_at: v.now })
    .where('project_id', '=', v.project)
    .where('resource', '=', v.resource)
    .where('deleted', '=', 0),
);

for (const dialect of DIALECTS) {
  describe(`prepared queries [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
      const rows = [];
      for (const project of ['p1', 'p2'])
        for (const [resource, limit] of [
          ['volumes', 10],
          ['gigabytes', 1000],
          ['snapshots', 5],
        ] as const)
          rows.push({
            project_id: project,
            resource,
            hard_limit: limit + (project === 'p2' ? 1 : 0),
            allocated: 0,
            created_at: '2026-01-01T00:00:00',
            deleted: 0 as const,
          });
      await db.insertInto('quotas').values(rows).execute();
    });
    after(() => t?.close());

    test('each call answers with its own values what the query built anew answers', async () => {
      const filters: Filter[] = [
        { project: 'p1' },
        { project: 'p2' },
        { project: 'p1', ids: ['volumes'] },
        { project: 'p2', ids: ['snapshots'] },
        { project: 'p2', ids: ['volumes', 'gigabytes'] },
        { project: 'p1', ids: ['gigabytes', 'snapshots'] },
        { project: 'p1', name: 'snapshots' },
        { project: 'p1', name: null }, // null is bound, and matches nothing, as kysely's own query
        { project: 'nobody', ids: ['volumes'] },
      ];
      for (const f of filters) {
        const expected = await quotasOf(db, f).execute();
        assert.deepEqual((await preparedQuotasOf(db, f)).rows, expected, JSON.stringify(f));
      }
      assert.equal((await preparedQuotasOf(db, { project: 'p2', ids: ['volumes'] })).rows[0]?.hard_limit, 11);
    });

    test('a write reports the rows it changed, and runs inside a transaction that can roll back', async () => {
      const now = '2026-02-02T00:00:00';
      const r = await setLimit(db, { project: 'p1', resource: 'volumes', limit: 20, now });
      assert.equal(r.numAffectedRows, 1n);
      assert.equal(
        (await setLimit(db, { project: 'nobody', resource: 'volumes', limit: 1, now })).numAffectedRows,
        0n,
      );
      await assert.rejects(
        db.transaction().execute(async (tx) => {
          await setLimit(tx, { project: 'p1', resource: 'volumes', limit: 30, now });
          const inside = await preparedQuotasOf(tx, { project: 'p1', ids: ['volumes'] });
          assert.equal(inside.rows[0]?.hard_limit, 30);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      const after = await preparedQuotasOf(db, { project: 'p1', ids: ['volumes'] });
      assert.equal(after.rows[0]?.hard_limit, 20);
    });

    test('a value the SQL does not bind is refused when its shape is first built', async () => {
      const dropsName = preparedQuery((db, v: { project: string; name: string }) =>
        db.selectFrom('quotas').select('resource').where('project_id', '=', v.project),
      );
      await assert.rejects(
        dropsName(db, { project: 'p1', name: 'x' }),
        /value 'name' is not a bound parameter/,
      );
      const inlines = preparedQuery((db, v: { project: string }) =>
        db
          .selectFrom('quotas')
          .select('resource')
          .where('project_id', '=', sql.lit(String(v.project))),
      );
      await assert.rejects(inlines(db, { project: 'p1' }), /value 'project' is not a bound parameter/);
    });
  });
}
