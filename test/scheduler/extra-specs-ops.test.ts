import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { matchExtraSpec as match } from '../../src/scheduler/extra-specs-ops.js';

describe('matchExtraSpec: plain equality', () => {
  test('string equal to the whole requirement matches', () => {
    assert.equal(match('lvm', 'lvm'), true);
    assert.equal(match('lvm', 'LVM'), false);
    assert.equal(match('a b', 'a b'), true);
  });

  test('an unknown first word is not an operator: the whole string is compared', () => {
    assert.equal(match('foo bar', 'foo bar'), true);
    assert.equal(match('bar', 'foo bar'), false);
    // the names of members every object inherits are not operators either
    assert.equal(match('constructor 1', 'constructor 1'), true);
    assert.equal(match(1, 'constructor 1'), false);
    assert.equal(match('x', 'toString x'), false);
  });

  test('booleans compare as Python prints them', () => {
    assert.equal(match(true, 'True'), true);
    assert.equal(match(false, 'False'), true);
    assert.equal(match(true, 'true'), false);
    assert.equal(match(false, 'True'), false);
  });

  test('numbers are not strings: 10 does not equal "10"', () => {
    assert.equal(match(10, '10'), false);
  });

  test('empty requirement matches only the empty string', () => {
    assert.equal(match('', ''), true);
    assert.equal(match('x', ''), false);
  });

  test('null requirement matches only a missing value', () => {
    assert.equal(match(null, null), true);
    assert.equal(match(undefined, null), true);
    assert.equal(match('x', null), false);
  });
});

describe('matchExtraSpec: numeric operators', () => {
  test('"=" means at least', () => {
    assert.equal(match('10', '= 10'), true);
    assert.equal(match('11', '= 10'), true);
    assert.equal(match('9', '= 10'), false);
    assert.equal(match(12, '= 10.5'), true);
  });

  test('== and != compare as floats', () => {
    assert.equal(match('10.0', '== 10'), true);
    assert.equal(match(10, '== 10.0'), true);
    assert.equal(match('10', '== 11'), false);
    assert.equal(match('10', '!= 11'), true);
    assert.equal(match('10', '!= 10.0'), false);
  });

  test('>= and <= compare as floats', () => {
    assert.equal(match('5', '>= 5'), true);
    assert.equal(match('4.9', '>= 5'), false);
    assert.equal(match('5', '<= 5'), true);
    assert.equal(match('5.1', '<= 5'), false);
  });

  test('Python float syntax: whitespace, exponents, underscores, inf', () => {
    assert.equal(match(' 1e3 ', '== 1000'), true);
    assert.equal(match('1_000', '== 1000'), true);
    assert.equal(match('inf', '>= 1e300'), true);
    assert.equal(match('.5', '== 0.5'), true);
  });

  test('booleans are floats 1 and 0 to Python', () => {
    assert.equal(match(true, '== 1'), true);
    assert.equal(match(false, '<= 0'), true);
  });

  test('a value that is not a number does not match (ValueError)', () => {
    assert.equal(match('abc', '>= 1'), false);
    assert.equal(match('', '== 0'), false);
    assert.equal(match('10', '>= abc'), false);
    assert.equal(match('1,5', '== 1.5'), false);
  });

  test('an operator with no operand does not match', () => {
    assert.equal(match('10', '>='), false);
    assert.equal(match('10', '   ==   '), false);
  });

  test('a missing value never matches an operator', () => {
    assert.equal(match(null, '>= 1'), false);
    assert.equal(match(undefined, '<is> False'), false);
    assert.equal(match(null, '<or> a <or> b'), false);
  });
});

describe('matchExtraSpec: string operators', () => {
  test('s== and s!= compare strings exactly', () => {
    assert.equal(match('abc', 's== abc'), true);
    assert.equal(match('abd', 's== abc'), false);
    assert.equal(match('abd', 's!= abc'), true);
    assert.equal(match('abc', 's!= abc'), false);
  });

  test('s< s<= s> s>= order strings lexically', () => {
    assert.equal(match('abc', 's< abd'), true);
    assert.equal(match('abd', 's< abd'), false);
    assert.equal(match('abd', 's<= abd'), true);
    assert.equal(match('b', 's> abc'), true);
    assert.equal(match('abc', 's> b'), false);
    assert.equal(match('abc', 's>= abc'), true);
    assert.equal(match('10', 's< 9'), true);
  });

  test('string operators do not convert: a number is never s== its text', () => {
    assert.equal(match(10, 's== 10'), false);
    assert.equal(match(10, 's< 9'), false);
  });

  test('only the first word after the operator is used', () => {
    assert.equal(match('abc', 's== abc def'), true);
  });
});

describe('matchExtraSpec: <in>, <is>, <or>', () => {
  test('<in> is substring of the capability', () => {
    assert.equal(match('12311321', '<in> 11'), true);
    assert.equal(match('12311321', '<in> 111'), false);
  });

  test('<in> on a dict capability looks for a key', () => {
    assert.equal(match({ gold: 1 }, '<in> gold'), true);
    assert.equal(match({ gold: 1 }, '<in> silver'), false);
  });

  test('<is> compares booleans, reading strings as oslo does', () => {
    assert.equal(match(true, '<is> True'), true);
    assert.equal(match(true, '<is> true'), true);
    assert.equal(match('yes', '<is> True'), true);
    assert.equal(match('1', '<is> True'), true);
    assert.equal(match(false, '<is> True'), false);
    assert.equal(match(false, '<is> False'), true);
    assert.equal(match('garbage', '<is> False'), true);
    assert.equal(match(true, '<is> garbage'), false);
  });

  test('<or> matches any of the listed words', () => {
    assert.equal(match('b', '<or> a <or> b <or> c'), true);
    assert.equal(match('a', '<or> a <or> b'), true);
    assert.equal(match('d', '<or> a <or> b <or> c'), false);
    assert.equal(match('11', '<or> 11'), true);
  });

  test('<or> compares words, not the separators', () => {
    assert.equal(match('<or>', '<or> a <or> b'), false);
  });

  test('<or> without words does not match', () => {
    assert.equal(match('a', '<or>'), false);
  });
});
