import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ConfigError } from '../../src/common/errors.js';
import { loadConfig } from '../../src/config/index.js';
import { AmqpTransport } from '../../src/rpc/amqp/amqp-transport.js';
import { InprocTransport } from '../../src/rpc/inproc/inproc-transport.js';
import { amqpOptionsFromConfig, createTransport } from '../../src/rpc/transport-factory.js';

const log = pino({ level: 'silent' });

test('inproc:// gives the in-process bus', async () => {
  const t = createTransport(loadConfig({ env: {} }), log);
  assert.ok(t instanceof InprocTransport);
  await t.close();
});

test('rabbit:// gives the RabbitMQ transport, with oslo option names read from config', async () => {
  const config = loadConfig({
    env: {
      KINDLING__DEFAULT__transport_url: 'rabbit://u:p@127.0.0.1:1/v',
      KINDLING__DEFAULT__control_exchange: 'cinder',
      KINDLING__DEFAULT__rpc_response_timeout: '30',
      KINDLING__oslo_messaging_rabbit__rabbit_qos_prefetch_count: '8',
      KINDLING__oslo_messaging_rabbit__publish_timeout: '5',
    },
  });
  const opts = amqpOptionsFromConfig(config);
  assert.equal(opts.url, 'rabbit://u:p@127.0.0.1:1/v');
  assert.equal(opts.controlExchange, 'cinder');
  assert.equal(opts.callTimeoutSeconds, 30);
  assert.equal(opts.prefetch, 8);
  assert.equal(opts.publishTimeoutSeconds, 5);
  assert.equal(opts.heartbeatSeconds, undefined);
  const t = createTransport(config, log);
  assert.ok(t instanceof AmqpTransport);
  assert.equal(t.topology.controlExchange, 'cinder');
  t.connection.unsafeDestroy();
});

test('defaults: exchange openstack, 60 s timeouts, prefetch 32', () => {
  const opts = amqpOptionsFromConfig(
    loadConfig({ env: { KINDLING__DEFAULT__transport_url: 'rabbit://h/' } }),
  );
  assert.equal(opts.controlExchange, 'openstack');
  assert.equal(opts.callTimeoutSeconds, 60);
  assert.equal(opts.publishTimeoutSeconds, 60);
  assert.equal(opts.prefetch, 32);
});

test('another scheme or a bad number is a ConfigError', () => {
  assert.throws(
    () => createTransport(loadConfig({ env: { KINDLING__DEFAULT__transport_url: 'kafka://h/' } }), log),
    ConfigError,
  );
  const bad = loadConfig({
    env: { KINDLING__DEFAULT__transport_url: 'rabbit://h/', KINDLING__DEFAULT__rpc_response_timeout: 'soon' },
  });
  assert.throws(() => amqpOptionsFromConfig(bad), ConfigError);
});
