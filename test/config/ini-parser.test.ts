import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseIni } from '../../src/config/ini-parser.js';
import { ConfigError } from '../../src/common/errors.js';

const values = (text: string, section: string, key: string) => parseIni(text).get(section)?.get(key);

describe('parseIni (oslo iniparser semantics)', () => {
  test('sections, = and : separators, whichever comes first', () => {
    const s = parseIni('[DEFAULT]\na = 1\nb: 2\nc = x:y\nd: u=v\n[database]\nconnection=sqlite:///x\n');
    assert.deepEqual([...s.keys()], ['DEFAULT', 'database']);
    assert.deepEqual(Object.fromEntries([...(s.get('DEFAULT') ?? [])]), {
      a: ['1'],
      b: ['2'],
      c: ['x:y'],
      d: ['u=v'],
    });
    assert.deepEqual(values('[database]\nconnection=sqlite:///x', 'database', 'connection'), ['sqlite:///x']);
  });

  test('comments only at line start; inline # and ; belong to the value', () => {
    const text = '# top\n[DEFAULT]\n; note\npassword = abc#def ; ghi\n#key = nope\n';
    assert.deepEqual(values(text, 'DEFAULT', 'password'), ['abc#def ; ghi']);
    assert.equal(values(text, 'DEFAULT', '#key'), undefined);
    assert.equal(parseIni(text).get('DEFAULT')?.size, 1);
  });

  test('indented lines continue a value; a blank line ends it', () => {
    const text = '[s]\nk = first\n  second\n\tthird\n\nj =\n  only\n';
    assert.deepEqual(values(text, 's', 'k'), ['first\nsecond\nthird']);
    assert.deepEqual(values(text, 's', 'j'), ['\nonly']);
  });

  test('one pair of matching surrounding quotes is stripped', () => {
    const text = `[s]\na = "quoted value"\nb = 'single'\nc = "mismatched'\nd = "\ne = ""x""\nf = a "b"\n`;
    const s = parseIni(text).get('s');
    assert.deepEqual(s?.get('a'), ['quoted value']);
    assert.deepEqual(s?.get('b'), ['single']);
    assert.deepEqual(s?.get('c'), [`"mismatched'`]);
    assert.deepEqual(s?.get('d'), ['']);
    assert.deepEqual(s?.get('e'), ['"x"']);
    assert.deepEqual(s?.get('f'), ['a "b"']);
  });

  test('repeated keys keep every value, also across repeated sections', () => {
    const text = '[s]\nk = 1\nk = 2\n[t]\nx = y\n[s]\nk = 3\n';
    assert.deepEqual(values(text, 's', 'k'), ['1', '2', '3']);
  });

  test('whitespace, CRLF and an empty value', () => {
    const text = '[DEFAULT]  \r\n  \r\nkey   =   spaced out   \r\nempty =\r\n';
    assert.deepEqual(values(text, 'DEFAULT', 'key'), ['spaced out']);
    assert.deepEqual(values(text, 'DEFAULT', 'empty'), ['']);
  });

  test('malformed input is a ConfigError naming source and line', () => {
    const cases: [string, RegExp][] = [
      ['k = v\n', /f\.conf:1: Section must be started before assignment/],
      ['[s\n', /f\.conf:1: Invalid section/],
      ['[]\n', /f\.conf:1: Empty section name/],
      ['[s]\njust a line\n', /f\.conf:2: No ':' or '=' found/],
      ['[s]\n = v\n', /f\.conf:2: Unexpected continuation/],
      ['[s]\n= v\n', /f\.conf:2: Key cannot be empty/],
      ['[s]\n\n  orphan\n', /f\.conf:3: Unexpected continuation line/],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => parseIni(text, 'f.conf'),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
        text,
      );
    }
  });
});
