import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isUuidLike, newTimeOrderedUuid, newUuid } from '../../src/common/uuid.js';

const CANON = 'c0a1b2c3-d4e5-4f60-8a7b-9c8d7e6f5a4b';

describe('isUuidLike', () => {
  test('accepts the canonical form and its oslo variants', () => {
    for (const v of [
      CANON,
      CANON.toUpperCase(),
      CANON.replaceAll('-', ''),
      `{${CANON}}`,
      `urn:uuid:${CANON}`,
      `{{${CANON}}}`,
      'c0a1-b2c3d4e54f608a7b9c8d7e6f5a4b--',
    ]) {
      assert.equal(isUuidLike(v), true, v);
    }
  });

  test('rejects wrong length, non-hex and non-strings', () => {
    for (const v of [
      '',
      'abc',
      CANON.slice(1),
      `${CANON}0`,
      CANON.replace('c', 'g'),
      ` ${CANON.slice(1)}`,
      `0x${CANON.replaceAll('-', '').slice(2)}`,
      `+${CANON.replaceAll('-', '').slice(1)}`,
      `${CANON.replaceAll('-', '').slice(1)}_`,
      `{${CANON}`.replace('{', '('),
    ]) {
      assert.equal(isUuidLike(v), false, v);
    }
    for (const v of [null, undefined, 123, {}, [CANON]]) assert.equal(isUuidLike(v), false);
  });

  test('braces are only stripped at the ends', () => {
    assert.equal(isUuidLike(`c0a1b2c3-{d4e5}-4f60-8a7b-9c8d7e6f5a4b`), false);
  });
});

test('newUuid returns distinct canonical v4 UUIDs', () => {
  const a = newUuid();
  const b = newUuid();
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, b);
  assert.equal(isUuidLike(a), true);
});

test('newTimeOrderedUuid: canonical v7 UUIDs whose text sorts by the time they carry', () => {
  const at = Date.UTC(2026, 11, 8, 1, 2, 3, 456);
  const a = newTimeOrderedUuid(at);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(isUuidLike(a), true);
  assert.equal(parseInt(a.slice(0, 8) + a.slice(9, 13), 16), at, 'the first 48 bits are the time in ms');
  assert.notEqual(newTimeOrderedUuid(at), a, 'the rest is random');
  const times = [at - 86_400_000, at - 1, at, at + 1, at + 1000, Date.UTC(2100, 0, 1)];
  const ids = times.map((t) => newTimeOrderedUuid(t));
  assert.deepEqual([...ids].sort(), ids);
});
