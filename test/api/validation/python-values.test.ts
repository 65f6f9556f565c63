import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { pySearch, translatePattern } from '../../../src/api/validation/python-re.js';
import {
  numberFromStr,
  pyLooseEqual,
  pySorted,
  pyStrip,
  schemaEqual,
} from '../../../src/api/validation/python-values.js';

describe('numberFromStr (int() then float())', () => {
  const cases: [unknown, number | bigint | undefined, boolean?][] = [
    ['10', 10],
    [' -3\n', -3],
    ['+7', 7],
    ['1_000', 1000],
    ['007', 7],
    ['١٢', 12],
    ['99999999999999999999', 99999999999999999999n],
    ['1.5', 1.5, true],
    ['.5', 0.5, true],
    ['5.', 5, true],
    ['1e3', 1000, true],
    ['-inf', -Infinity, true],
    [true, 1],
    [2.9, 2],
    ['1__0', undefined],
    ['0x10', undefined],
    ['abc', undefined],
    ['', undefined],
    [null, undefined],
    [[1], undefined],
  ];
  for (const [input, value, isFloat = false] of cases) {
    test(JSON.stringify(String(input)), () => {
      const n = numberFromStr(input);
      if (value === undefined) assert.equal(n, undefined);
      else assert.deepEqual(n, { value, isFloat });
    });
  }

  test('nan is a float that compares false', () => {
    const n = numberFromStr('NaN');
    assert.ok(n && Number.isNaN(n.value) && n.isFloat);
  });
});

describe('Python string helpers', () => {
  test('strip() uses Python whitespace (\\x1c-\\x1f yes, \\ufeff no)', () => {
    assert.equal(pyStrip('\x1c\t a \u3000\x85'), 'a');
    assert.equal(pyStrip('\ufeffa'), '\ufeffa');
  });

  test('sorted() orders by code point', () => {
    assert.deepEqual(pySorted(['b', 'B', '\u{1F600}', '\uffff', 'a']), [
      'B',
      'a',
      'b',
      '\uffff',
      '\u{1F600}',
    ]);
  });
});

describe('Python equality', () => {
  test('== treats True as 1, even nested', () => {
    assert.equal(pyLooseEqual(true, 1), true);
    assert.equal(pyLooseEqual([true], [1]), true);
    assert.equal(pyLooseEqual({ a: 1 }, { a: 1.0 }), true);
    assert.equal(pyLooseEqual('1', 1), false);
  });

  test('python-jsonschema equal() keeps booleans apart', () => {
    assert.equal(schemaEqual(true, 1), false);
    assert.equal(schemaEqual([true], [1]), false);
    assert.equal(schemaEqual({ a: [1] }, { a: [1] }), true);
  });
});

describe('Python patterns', () => {
  test('translation', () => {
    assert.equal(translatePattern('^[0-9]+$'), '^[0-9]+(?=\\n?$)');
    assert.equal(translatePattern('^a.b$'), '^a[^\\n]b(?=\\n?$)');
    assert.equal(translatePattern('[$.]'), '[$.]');
    assert.equal(translatePattern('\\Afoo\\Z'), '^foo$');
    assert.equal(translatePattern('[]a]'), '[\\]a]');
    assert.throws(() => translatePattern('\\d'), /not supported/);
    assert.throws(() => translatePattern('a{,3}'), /not supported/);
  });

  test('search semantics', () => {
    assert.equal(pySearch('^[a-zA-Z0-9-_:. /]{1,255}$', 'a-b_c:d. /e'), true);
    assert.equal(pySearch('^[a-zA-Z0-9-_:. /]{1,255}$', 'a@b'), false);
    assert.equal(pySearch('b', 'abc'), true);
    assert.equal(pySearch('^a.c$', 'a\rc'), true);
    assert.equal(pySearch('^a.c$', 'a\nc'), false);
  });
});
