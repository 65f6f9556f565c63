/**
 * The shared pieces of the list queries (`withTieBreakers`, `paginate` in src/db/api/common.ts),
 * seen through a type list on every dialect: marker, limit and offset — an offset without a limit
 * too, which SQLite and MySQL only accept with a LIMIT in front of it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import { withTieBreakers, type Db, type PageRequest } from '../../src/db/api/common.js';
import { volumeTypeCreate, volumeTypeList } from '../../src/db/api/volume-types.js';

test('withTieBreakers keeps the requested keys and appends the missing ones in the first direction', () => {
  assert.deepEqual(withTieBreakers([{ key: 'name', dir: 'asc' }], ['created_at', 'id']), [
    { key: 'name', dir: 'asc' },
    { key: 'created_at', dir: 'asc' },
    { key: 'id', dir: 'asc' },
  ]);
  assert.deepEqual(
    withTieBreakers(
      [
        { key: 'id', dir: 'asc' },
        { key: 'size', dir: 'desc' },
      ],
      ['id'],
    ),
    [
      { key: 'id', dir: 'asc' },
      { key: 'size', dir: 'desc' },
    ],
  );
  assert.deepEqual(withTieBreakers(undefined, ['id']), [
    { key: 'created_at', dir: 'desc' },
    { key: 'id', dir: 'desc' },
  ]);
  assert.deepEqual(withTieBreakers([], ['created_at', 'id'], { key: 'created_at', dir: 'asc' }), [
    { key: 'created_at', dir: 'asc' },
    { key: 'id', dir: 'asc' },
  ]);
});

for (const dialect of DIALECTS) {
  describe(`list pagination [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    const description = `pagination-${randomUUID()}`;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
      for (const name of ['pg-c', 'pg-a', 'pg-d', 'pg-b'])
        await volumeTypeCreate(db, { id: randomUUID(), name, description, is_public: true, extra_specs: {} });
    });
    after(() => t?.close());

    const names = async (page: PageRequest) =>
      (await volumeTypeList(db, { isPublic: null, projectId: null, columns: { description } }, page)).map(
        (r) => r.name,
      );
    const byName = [{ key: 'name', dir: 'asc' as const }];

    test('limit, then the page after a marker', async () => {
      assert.deepEqual(await names({ sort: byName, limit: 2 }), ['pg-a', 'pg-b']);
      const all = await volumeTypeList(
        db,
        { isPublic: null, projectId: null, columns: { description } },
        {
          sort: byName,
        },
      );
      const b = all.find((r) => r.name === 'pg-b')!;
      assert.deepEqual(await names({ sort: byName, marker: b.id }), ['pg-c', 'pg-d']);
      assert.deepEqual(await names({ sort: [{ key: 'name', dir: 'desc' }], marker: b.id }), ['pg-a']);
    });

    test('offset with and without a limit', async () => {
      assert.deepEqual(await names({ sort: byName, limit: 2, offset: 1 }), ['pg-b', 'pg-c']);
      assert.deepEqual(await names({ sort: byName, offset: 1 }), ['pg-b', 'pg-c', 'pg-d']);
    });
  });
}
