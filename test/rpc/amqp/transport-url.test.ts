import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/common/errors.js';
import { parseTransportUrl, redact } from '../../../src/rpc/amqp/transport-url.js';

test('one host with vhost', () => {
  assert.deepEqual(parseTransportUrl('rabbit://cinder:s3cret@10.0.0.5:5673/openstack'), {
    hosts: [{ hostname: '10.0.0.5', port: 5673, username: 'cinder', password: 's3cret' }],
    vhost: 'openstack',
    query: {},
  });
});

test('empty path and bare slash mean vhost "/"; an encoded slash is a vhost name', () => {
  assert.equal(parseTransportUrl('rabbit://u:p@h:5672/').vhost, '/');
  assert.equal(parseTransportUrl('rabbit://u:p@h:5672').vhost, '/');
  assert.equal(parseTransportUrl('rabbit://u:p@h/%2Fprod').vhost, '/prod');
});

test('user and password are URL-decoded; defaults are guest/guest on port 5672', () => {
  const [h] = parseTransportUrl('rabbit://us%40er:p%3Aa%2Fss%40@broker/').hosts;
  assert.deepEqual(h, { hostname: 'broker', port: 5672, username: 'us@er', password: 'p:a/ss@' });
  assert.deepEqual(parseTransportUrl('rabbit://broker/').hosts[0], {
    hostname: 'broker',
    port: 5672,
    username: 'guest',
    password: 'guest',
  });
});

test('several hosts, comma-separated; a host without credentials takes the previous ones', () => {
  const u = parseTransportUrl('rabbit://u:p@h1:5672,u:p@h2:5673,h3/v?ssl=1');
  assert.deepEqual(
    u.hosts.map((h) => `${h.username}:${h.password}@${h.hostname}:${h.port}`),
    ['u:p@h1:5672', 'u:p@h2:5673', 'u:p@h3:5672'],
  );
  assert.equal(u.vhost, 'v');
  assert.deepEqual(u.query, { ssl: '1' });
});

test('IPv6 literal', () => {
  assert.deepEqual(parseTransportUrl('rabbit://u:p@[::1]:5671/').hosts[0]?.hostname, '::1');
  assert.equal(parseTransportUrl('rabbit://u:p@[::1]:5671/').hosts[0]?.port, 5671);
});

test('bad URLs are ConfigErrors that do not show the password', () => {
  for (const bad of ['amqp://u:p@h/', 'rabbit://u:hunter2@h:99999/', 'rabbit://a:hunter2@h1,b:x@h2/']) {
    assert.throws(
      () => parseTransportUrl(bad),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter2'),
      bad,
    );
  }
});

test('redact hides every password', () => {
  assert.equal(redact('rabbit://u:pw@h1:5672,v:pw2@h2/x'), 'rabbit://u:***@h1:5672,v:***@h2/x');
});
