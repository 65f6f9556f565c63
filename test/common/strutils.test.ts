import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { boolFromString, isIntLike, pythonRepr, pythonStr } from '../../src/common/strutils.js';
import { UnrecognizedBoolValue } from '../../src/common/errors.js';

describe('boolFromString', () => {
  test('true and false words, any case, trimmed', () => {
    for (const v of ['1', 't', 'T', 'true', 'TRUE', ' on ', 'y', 'Yes', 1, true]) {
      assert.equal(boolFromString(v, true), true, String(v));
    }
    for (const v of ['0', 'f', 'False', 'off', 'N', '\tno\n', 0, false]) {
      assert.equal(boolFromString(v, true), false, String(v));
    }
  });

  test('anything else gives the default unless strict', () => {
    assert.equal(boolFromString('maybe'), false);
    assert.equal(boolFromString('maybe', false, true), true);
    assert.equal(boolFromString(null, false, true), true);
    assert.equal(boolFromString(2), false);
  });

  test('strict rejects with oslo wording (original text, sorted list)', () => {
    assert.throws(
      () => boolFromString(' Maybe', true),
      (err: unknown) =>
        err instanceof UnrecognizedBoolValue &&
        err.code === 400 &&
        err.message ===
          "Unrecognized value ' Maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
    );
    assert.throws(() => boolFromString(null, true), /Unrecognized value 'None'/);
  });
});

describe('isIntLike', () => {
  test('canonical decimal strings and integral numbers', () => {
    for (const v of ['0', '7', '-3', '12345678901234567890', 0, 10, -4, 10n]) {
      assert.equal(isIntLike(v), true, String(v));
    }
  });
  test('everything str(int(v)) would change or reject', () => {
    const rejected = [
      '',
      ' 1',
      '1 ',
      '+1',
      '01',
      '-0',
      '1.0',
      '1e3',
      '1_000',
      'abc',
      '١',
      1.5,
      NaN,
      Infinity,
      true,
      null,
      undefined,
      [1],
      {},
    ];
    rejected.forEach((v, i) => assert.equal(isIntLike(v), false, `case ${i}`));
  });
});

describe('pythonRepr', () => {
  test('scalars', () => {
    assert.equal(pythonRepr(null), 'None');
    assert.equal(pythonRepr(undefined), 'None');
    assert.equal(pythonRepr(true), 'True');
    assert.equal(pythonRepr(false), 'False');
    assert.equal(pythonRepr(1), '1');
    assert.equal(pythonRepr(-0), '0');
    assert.equal(pythonRepr(1e21), '1000000000000000000000');
    assert.equal(pythonRepr(123.456), '123.456');
    assert.equal(pythonRepr(0.1 + 0.2), '0.30000000000000004');
    assert.equal(pythonRepr(0.0001), '0.0001');
    assert.equal(pythonRepr(1e-5), '1e-05');
    assert.equal(pythonRepr(-2.5e-10), '-2.5e-10');
    assert.equal(pythonRepr(1.5e-7), '1.5e-07');
    assert.equal(pythonRepr(NaN), 'nan');
    assert.equal(pythonRepr(-Infinity), '-inf');
  });

  test('strings follow Python quoting and escaping', () => {
    assert.equal(pythonRepr('abc'), "'abc'");
    assert.equal(pythonRepr(''), "''");
    assert.equal(pythonRepr("it's"), `"it's"`);
    assert.equal(pythonRepr(`a"b'c`), `'a"b\\'c'`);
    assert.equal(pythonRepr('a\\b\tc\nd\re'), "'a\\\\b\\tc\\nd\\re'");
    assert.equal(
      pythonRepr('\x00\x7f\x85\xa0\u200b\u2028\ue000\u{e0001} é\udc80'),
      "'\\x00\\x7f\\x85\\xa0\\u200b\\u2028\\ue000\\U000e0001 é\\udc80'",
    );
    assert.equal(pythonRepr('日本'), "'日本'");
  });

  test('lists and dicts nest', () => {
    assert.equal(pythonRepr(['a', 1, null, [true]]), "['a', 1, None, [True]]");
    assert.equal(pythonRepr({ k: 'v', n: { x: [] } }), "{'k': 'v', 'n': {'x': []}}");
    assert.equal(pythonRepr({}), '{}');
  });

  test('nesting deeper than the stack allows is cut short, not a crash', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { a: deep };
    const text = pythonRepr(deep);
    assert.ok(text.startsWith("[{'a': [{'a': "), text.slice(0, 40));
    assert.ok(text.includes('...'));
    assert.ok(text.length < 10_000, String(text.length));
  });
});

test('pythonStr leaves strings raw and reprs the rest', () => {
  assert.equal(pythonStr('abc'), 'abc');
  assert.equal(pythonStr("it's"), "it's");
  assert.equal(pythonStr(null), 'None');
  assert.equal(pythonStr(['a']), "['a']");
  assert.equal(pythonStr(2.5), '2.5');
});
