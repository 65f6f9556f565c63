import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInput } from '../../src/common/errors.js';
import { ownObjectOf, paginateEntries } from '../../src/volume/manageable.js';

const entry = (name: string, size: number | null) => ({ reference: { 'source-name': name }, size });
const names = (xs: { reference: Record<string, unknown> }[]) => xs.map((x) => x.reference['source-name']);
const ALL = [entry('b', 2), entry('a', 3), entry('c', 1), entry('d', 2)];

test("paginateEntries sorts as Cinder's paginate_entries_list: keys in order, asc or desc", () => {
  assert.deepEqual(names(paginateEntries(ALL, null, 10, null, ['reference'], ['asc'])), ['a', 'b', 'c', 'd']);
  assert.deepEqual(names(paginateEntries(ALL, null, 10, null, ['reference'], ['desc'])), [
    'd',
    'c',
    'b',
    'a',
  ]);
  assert.deepEqual(names(paginateEntries(ALL, null, 10, null, ['size', 'reference'], ['desc', 'asc'])), [
    'a',
    'b',
    'd',
    'c',
  ]);
});

test('paginateEntries: marker (a reference as JSON), offset after it, limit', () => {
  const marker = JSON.stringify({ 'source-name': 'b' });
  assert.deepEqual(names(paginateEntries(ALL, marker, 10, null, ['reference'], ['asc'])), ['c', 'd']);
  assert.deepEqual(names(paginateEntries(ALL, marker, 1, 1, ['reference'], ['asc'])), ['d']);
  assert.deepEqual(names(paginateEntries(ALL, null, 2, 1, ['reference'], ['asc'])), ['b', 'c']);
  assert.throws(() => paginateEntries(ALL, 'nope', 10, null, ['reference'], ['asc']), InvalidInput);
  assert.throws(
    () => paginateEntries(ALL, JSON.stringify({ 'source-name': 'z' }), 10, null, ['reference'], ['asc']),
    /marker not found/,
  );
});

test("ownObjectOf: Kindling's backing names, a file path's last part, source-id", () => {
  const id = '0b5a2e0c-0000-4000-8000-00000000000b';
  assert.deepEqual(ownObjectOf({ 'source-name': `volume-${id}` }), { kind: 'volume', id });
  assert.deepEqual(ownObjectOf({ 'source-name': `/srv/v/snapshot-${id}` }), { kind: 'snapshot', id });
  assert.deepEqual(ownObjectOf({ 'source-id': id }), { kind: 'volume', id });
  assert.deepEqual(ownObjectOf(`snapshot-${id}`), { kind: 'snapshot', id });
  assert.equal(ownObjectOf({ 'source-name': `volume-${id}.deleted` }), null);
  assert.equal(ownObjectOf({ 'source-name': 'legacy.img' }), null);
  assert.equal(ownObjectOf(null), null);
});
