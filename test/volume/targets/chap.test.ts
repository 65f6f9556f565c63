import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePassword, generateUsername } from '../../../src/volume/targets/chap.js';

test("generated CHAP credentials look like Cinder's: 20/16 characters, each symbol group, no look-alikes", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const user = generateUsername();
    const password = generatePassword();
    assert.equal(user.length, 20);
    assert.equal(password.length, 16);
    for (const s of [user, password]) {
      assert.match(s, /^[2-9A-HJ-NP-Za-km-z]+$/);
      assert.match(s, /[2-9]/);
      assert.match(s, /[A-Z]/);
      assert.match(s, /[a-z]/);
      seen.add(s);
    }
  }
  assert.equal(seen.size, 400, 'no repeats');
  assert.equal(generatePassword(2).length, 2);
});
