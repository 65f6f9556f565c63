import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest } from '../../src/common/errors.js';
import { decodeBody, jsonDepthExceeds, MAX_JSON_DEPTH, parseJsonBody } from '../../src/api/body.js';

test('depth counts arrays and objects, not brackets inside strings', () => {
  assert.equal(jsonDepthExceeds('{"a": [1, {"b": []}]}', 4), false);
  assert.equal(jsonDepthExceeds('{"a": [1, {"b": []}]}', 3), true);
  assert.equal(jsonDepthExceeds(`{"a": "${'['.repeat(500)}"}`, 1), false);
  assert.equal(jsonDepthExceeds(`{"a": "\\"${'{'.repeat(5)}"}`, 1), false);
  assert.equal(jsonDepthExceeds(`["\\\\", [[]]]`, 2), true);
});

test('parseJsonBody: empty is no body; blank, bad JSON and deep JSON are 400s', () => {
  assert.equal(parseJsonBody(''), undefined);
  for (const blank of [' ', ' \n', '\t'])
    assert.throws(
      () => parseJsonBody(blank),
      (e) => e instanceof BadRequest && e.message === 'Malformed request body',
    );
  assert.deepEqual(parseJsonBody('{"volume": {"size": 1}}'), { volume: { size: 1 } });
  assert.throws(
    () => parseJsonBody('{"volume"'),
    (e) => e instanceof BadRequest && e.message === 'Malformed request body',
  );
  const atLimit = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
  assert.ok(Array.isArray(parseJsonBody(atLimit)));
  assert.throws(
    () => parseJsonBody(`[${atLimit}]`),
    (e) =>
      e instanceof BadRequest &&
      e.message === `Malformed request body: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`,
  );
});

test('decodeBody: strict UTF-8', () => {
  assert.equal(decodeBody(Buffer.from('é日本𝄞')), 'é日本𝄞');
  assert.equal(decodeBody(Buffer.from('\ufeff{}')), '\ufeff{}');
  for (const bytes of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe6, 0x97], [0xf4, 0x90, 0x80, 0x80]]) {
    assert.throws(
      () => decodeBody(Buffer.from(bytes)),
      (e) => e instanceof BadRequest && e.message === 'Invalid UTF-8',
    );
  }
});
