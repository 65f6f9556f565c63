import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  APIVersion,
  MAX_VERSION,
  MIN_VERSION,
  negotiateVersion,
  versionHeaderValue,
} from '../../src/api/microversion.js';
import { BadRequest, InvalidAPIVersionString, VersionNotSupported } from '../../src/common/errors.js';

describe('APIVersion', () => {
  test('parses major.minor', () => {
    const v = APIVersion.parse('3.27');
    assert.equal(v.major, 3);
    assert.equal(v.minor, 27);
    assert.equal(v.toString(), '3.27');
  });

  test('rejects malformed strings with Cinder wording', () => {
    for (const bad of ['3', '3.07', '03.1', '0.1', 'v3.1', '3.1.1', ' 3.1', '3.', '.1', 'latest', '']) {
      assert.throws(
        () => APIVersion.parse(bad),
        (err: unknown) =>
          err instanceof InvalidAPIVersionString &&
          err.code === 400 &&
          err.message ===
            `API Version String ${bad} is of invalid format. Must be of format MajorNum.MinorNum.`,
        bad,
      );
    }
  });

  test('compares numerically, not lexically', () => {
    const v = APIVersion.parse('3.9');
    assert.ok(v.lt('3.10'));
    assert.ok(v.gte('3.9') && v.lte('3.9'));
    assert.ok(v.gt('2.70'));
    assert.ok(!v.gte('3.10'));
    assert.equal(v.compare(APIVersion.parse('3.9')), 0);
    assert.ok(v.between('3.0', '3.70'));
  });
});

describe('negotiateVersion', () => {
  test('missing header means 3.0', () => {
    assert.equal(negotiateVersion({}).toString(), MIN_VERSION);
    assert.equal(negotiateVersion({ 'openstack-api-version': undefined }).toString(), '3.0');
  });

  test('reads the first element mentioning volume, case-insensitive header name', () => {
    assert.equal(negotiateVersion({ 'openstack-api-version': 'volume 3.44' }).toString(), '3.44');
    assert.equal(negotiateVersion({ 'OpenStack-API-Version': 'compute 2.1, volume 3.5' }).toString(), '3.5');
    assert.equal(
      negotiateVersion({ 'openstack-api-version': ['compute 2.1', 'volume  3.6 '] }).toString(),
      '3.6',
    );
    assert.equal(negotiateVersion({ 'openstack-api-version': 'volume 3.7, volume 3.8' }).toString(), '3.7');
  });

  test('latest is the maximum', () => {
    assert.equal(negotiateVersion({ 'openstack-api-version': 'volume latest' }).toString(), MAX_VERSION);
    assert.equal(negotiateVersion({ 'openstack-volume-microversion': 'latest' }).toString(), MAX_VERSION);
  });

  test('legacy header when the standard one is absent', () => {
    assert.equal(negotiateVersion({ 'openstack-volume-microversion': '3.12' }).toString(), '3.12');
    assert.equal(
      negotiateVersion({
        'openstack-api-version': 'volume 3.1',
        'openstack-volume-microversion': '3.12',
      }).toString(),
      '3.1',
    );
  });

  test('header without a volume element is a generic 400', () => {
    for (const value of ['compute 2.1', '', '3.5']) {
      assert.throws(
        () => negotiateVersion({ 'openstack-api-version': value }),
        (err: unknown) =>
          err instanceof BadRequest &&
          err.code === 400 &&
          err.message ===
            'The server could not comply with the request since it is either malformed or otherwise incorrect.',
      );
    }
  });

  test('a volume element that is not two words is a 400 (Cinder: a 500)', () => {
    for (const [value, element] of [
      ['volume', 'volume'],
      ['volume 3.1 x', 'volume 3.1 x'],
      ['compute 2.1,  volume 3.70 3.71 ', 'volume 3.70 3.71'],
    ]) {
      assert.throws(
        () => negotiateVersion({ 'openstack-api-version': value }),
        (err: unknown) =>
          err instanceof BadRequest &&
          err.code === 400 &&
          err.message ===
            `Invalid OpenStack-API-Version header: '${element}'. Expected 'volume <major>.<minor>' or 'volume latest'.`,
      );
    }
  });

  test('malformed version is 400, out of range is 406', () => {
    assert.throws(
      () => negotiateVersion({ 'openstack-api-version': 'volume 3.07' }),
      InvalidAPIVersionString,
    );
    assert.throws(
      () => negotiateVersion({ 'openstack-api-version': 'volume LATEST' }),
      InvalidAPIVersionString,
    );
    for (const v of ['3.71', '2.0', '4.0']) {
      assert.throws(
        () => negotiateVersion({ 'openstack-api-version': `volume ${v}` }),
        (err: unknown) =>
          err instanceof VersionNotSupported &&
          err.code === 406 &&
          err.message === `Version ${v} is not supported by the API. Minimum is 3.0 and maximum is 3.70.`,
      );
    }
  });

  test('property: every in-range version round-trips through the header', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), (minor) => {
        const text = `3.${minor}`;
        const v = negotiateVersion({ 'openstack-api-version': `volume ${text}` });
        assert.equal(v.toString(), text);
        assert.equal(APIVersion.parse(v.toString()).compare(v), 0);
        assert.equal(versionHeaderValue(v), `volume ${text}`);
      }),
    );
  });

  test('property: parse/toString round-trips any well-formed version', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e6 }), fc.nat({ max: 1e6 }), (major, minor) => {
        const text = `${major + 1}.${minor}`;
        assert.equal(APIVersion.parse(text).toString(), text);
      }),
    );
  });
});
