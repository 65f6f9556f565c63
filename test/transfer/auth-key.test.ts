import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authKeyMatches, cryptHash, newAuthKey, randomHexString } from '../../src/transfer/auth-key.js';

test('the stored hash is HMAC-SHA1 keyed by the salt, as Cinder computes it', () => {
  // Reference value from Python: hmac.new(b'5c9f1a2b', b'662eac28e6787b79', hashlib.sha1).hexdigest()
  assert.equal(cryptHash('5c9f1a2b', '662eac28e6787b79'), '94920c86ff6213342b7757df49e97dab06dc68c0');
});

test('new keys: 8-digit salt, 16-digit key, both hex and random; only the right key matches', () => {
  const a = newAuthKey();
  const b = newAuthKey();
  assert.match(a.salt, /^[0-9a-f]{8}$/);
  assert.match(a.authKey, /^[0-9a-f]{16}$/);
  assert.notEqual(a.authKey, b.authKey);
  assert.equal(a.cryptHash, cryptHash(a.salt, a.authKey));
  assert.ok(authKeyMatches(a.salt, a.authKey, a.cryptHash));
  assert.ok(!authKeyMatches(a.salt, b.authKey, a.cryptHash));
  assert.ok(!authKeyMatches(b.salt, a.authKey, a.cryptHash));
  assert.ok(!authKeyMatches(a.salt, a.authKey, ''));
});

test('random hex strings of any length (longer than one SHA-224 digest too)', () => {
  for (const n of [1, 8, 56, 57, 200]) assert.match(randomHexString(n), new RegExp(`^[0-9a-f]{${n}}$`));
});
