import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidVolume } from '../../../src/common/errors.js';
import {
  formatProviderAuth,
  formatProviderLocation,
  parseProviderAuth,
  parseProviderLocation,
  sanitizeHost,
} from '../../../src/volume/targets/provider-location.js';

const IQN = 'iqn.2010-10.org.openstack:volume-1c5d1a76-3c9c-4b6a-9a5a-0f1e2d3c4b5a';

test("provider_location is Cinder's '<portal>[;<portal>],<tid> <iqn> <lun>'", () => {
  assert.equal(formatProviderLocation(['127.0.0.1'], 3260, 4, IQN, 1), `127.0.0.1:3260,4 ${IQN} 1`);
  assert.equal(
    formatProviderLocation(['10.0.0.1', 'fd00::2'], 13260, 1, IQN, 1),
    `10.0.0.1:13260;[fd00::2]:13260,1 ${IQN} 1`,
  );
  assert.equal(sanitizeHost('::1'), '[::1]');
  assert.equal(sanitizeHost('192.0.2.1'), '192.0.2.1');
});

test('it is read back as Cinder reads it', () => {
  assert.deepEqual(parseProviderLocation(`127.0.0.1:3260,4 ${IQN} 1`), {
    portals: ['127.0.0.1:3260'],
    tid: 4,
    iqn: IQN,
    lun: 1,
  });
  assert.deepEqual(parseProviderLocation(`10.0.0.1:3260;[fd00::2]:3260,1 ${IQN} 1`).portals, [
    '10.0.0.1:3260',
    '[fd00::2]:3260',
  ]);
  // NOTE: a missing or bad LUN is 0, a missing target id none (Cinder ignores it).
  assert.deepEqual(parseProviderLocation(`127.0.0.1:3260 ${IQN}`), {
    portals: ['127.0.0.1:3260'],
    tid: null,
    iqn: IQN,
    lun: 0,
  });
  assert.equal(parseProviderLocation(`127.0.0.1:3260,x ${IQN} lun`).lun, 0);
  assert.throws(() => parseProviderLocation('127.0.0.1:3260,1'), InvalidVolume);
  assert.throws(() => parseProviderLocation(''), InvalidVolume);
});

test("provider_auth is 'CHAP <user> <secret>'", () => {
  assert.equal(
    formatProviderAuth('user20charsxxxxxxxxx', 'secret16charsxxx'),
    'CHAP user20charsxxxxxxxxx secret16charsxxx',
  );
  assert.deepEqual(parseProviderAuth('CHAP u s'), { method: 'CHAP', username: 'u', password: 's' });
  assert.equal(parseProviderAuth(null), null);
  assert.equal(parseProviderAuth(''), null);
  assert.throws(() => parseProviderAuth('CHAP onlyuser'), InvalidVolume);
});
