/**
 * Migration 015: the lookups of a reserve, of a delete, of the periodic expiries and the first page
 * of a list find their rows through an index, in the list's order, instead of reading (and
 * sorting) the whole table: these tables grow with use (one row of limits per project and
 * resource, every reservation ever finished until `db purge`, every volume of a project).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { Database } from '../../src/db/schema.js';
import { quotaClassDefaultLimits, quotaProjectLimitsOf } from '../../src/db/api/quotas.js';
import { reservationsExpiredBefore } from '../../src/db/api/reservations.js';
import { messageDestroyExpired } from '../../src/db/api/messages.js';
import { imageVolumeCacheDelete, imageVolumeCacheGetByVolumeId } from '../../src/db/api/image-cache.js';
import { volumeCreate, volumeGetAll } from '../../src/db/api/volumes.js';
import { volumeRow } from '../support/volume-row.js';
import { snapshotGetAll } from '../../src/db/api/snapshots.js';
import { backupGetAll } from '../../src/db/api/backups.js';
import { lookupIndexesMigration } from '../../src/db/migrations/015-lookup-indexes.js';

/**
 * Runs each lookup once on a SQLite file, returning the SQL texts it sent; `markerId` is a volume
 * of project p1 there.
 */
async function lookupStatements(file: string, markerId: string): Promise<string[]> {
  const sqlite = new BetterSqlite3(file);
  const texts: string[] = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => {
      texts.push(event.query.sql);
    },
  });
  try {
    const now = '2026-12-07T00:00:00.000000';
    await quotaProjectLimitsOf(db, 'p1', ['volumes', 'gigabytes']);
    await quotaClassDefaultLimits(db, ['volumes', 'gigabytes']);
    await reservationsExpiredBefore(db, now);
    await messageDestroyExpired(db, now);
    await imageVolumeCacheGetByVolumeId(db, 'v1');
    await imageVolumeCacheDelete(db, 'v1');
    // First pages, newest first: of a project's volumes, of those in one status, of every
    // project's (an admin's `all_tenants`), of a project's snapshots and backups.
    const newest = { limit: 100, sort: [{ key: 'created_at', dir: 'desc' as const }] };
    await volumeGetAll(db, { project_id: 'p1' }, newest);
    await volumeGetAll(db, { project_id: 'p1', columns: { status: 'available' } }, newest);
    await volumeGetAll(db, {}, newest);
    await snapshotGetAll(db, { project_id: 'p1' }, newest);
    await backupGetAll(db, { project_id: 'p1' }, newest);
    // A next page: after a marker, read from the marker on, not from the list's start.
    await volumeGetAll(db, { project_id: 'p1' }, { ...newest, marker: markerId });
  } finally {
    await db.destroy();
  }
  return texts;
}

for (const dialect of DIALECTS) {
  describe(`lookup indexes [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    before(async () => {
      t = await openFreshDatabase(dialect);
    });
    after(() => t?.close());

    test('the migration can be taken back and made again', async () => {
      const migration = lookupIndexesMigration(t.handle.dialect);
      await migration.down!(t.handle.db);
      await migration.up(t.handle.db);
      const tables = await t.handle.db.introspection.getTables();
      assert.ok(tables.some((x) => x.name === 'reservations'));
    });

    test(
      'each lookup reads through an index, in order, not the whole table',
      { skip: dialect === 'sqlite' ? false : "plans are read with SQLite's EXPLAIN QUERY PLAN" },
      async () => {
        const file = t.url.replace(/^sqlite:\/\/\//, '');
        const marker = volumeRow({ project_id: 'p1' });
        await volumeCreate(t.handle.db, marker);
        const texts = await lookupStatements(file, marker.id);
        assert.ok(texts.length >= 12, texts.join('\n'));
        const next = texts.filter((x) => x.includes('"volumes"."created_at" <= ?'));
        assert.equal(next.length, 1, 'the next page bounds the first sort key');
        const sqlite = new BetterSqlite3(file, { readonly: true });
        try {
          for (const text of texts) {
            const params = Array<null>((text.match(/\?/g) ?? []).length).fill(null);
            const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[];
            const scans = plan.filter(
              (p) =>
                (/^SCAN /.test(p.detail) && !/USING (COVERING )?INDEX/.test(p.detail)) ||
                // A page (LIMIT) must come in index order; a page's own rows may be sorted.
                (/TEMP B-TREE/.test(p.detail) && /\blimit \?/.test(text)),
            );
            const shown = `${text}\n${plan.map((p) => p.detail).join('\n')}`;
            assert.deepEqual(scans, [], shown);
            if (next.includes(text)) assert.match(shown, /created_at<\?/);
          }
        } finally {
          sqlite.close();
        }
      },
    );
  });
}
