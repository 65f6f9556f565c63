import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerFixture, skipReason, uniqueName } from '../rpc/amqp/broker.js';
import { MessageDeliveryFailure } from '../../src/common/errors.js';
import { AmqpTransport } from '../../src/rpc/amqp/amqp-transport.js';
import { AmqpNotificationSink } from '../../src/notify/amqp-sink.js';
import { Notifier, type Notification } from '../../src/notify/notifier.js';

const skip = await skipReason();

describe('AmqpNotificationSink', { skip }, () => {
  test('publishes the messagingv2 envelope to <topic>.<priority> on the control exchange', async (t) => {
    const f = new BrokerFixture();
    t.after(() => f.dispose());
    const topic = uniqueName('kt-notifications');
    const transport = f.transport();
    // Queue names carry the (test's own) control exchange as a prefix.
    const infoQ = transport.topology.durableQueue(`${topic}.info`).queue.queue!;
    const errorQ = transport.topology.durableQueue(`${topic}.error`).queue.queue!;
    f.queues(infoQ, errorQ);
    const notifier = new Notifier([AmqpNotificationSink.forTransport(transport, [topic])], (e) => {
      throw e;
    });
    await notifier.notify('volume.host1@file', 'volume.create.end', { volume_id: 'v1', size: 1 });
    await notifier.notify('scheduler.host1', 'scheduler.create_volume', { volume_id: 'v2' }, 'ERROR');

    const info = await transport.connection.basicGet({ queue: infoQ, noAck: true });
    const error = await transport.connection.basicGet({ queue: errorQ, noAck: true });
    assert.ok(info && error, 'one message in each priority queue');
    assert.equal(info.exchange, f.exchange);
    assert.equal(info.routingKey, `${topic}.info`);
    assert.equal(info.durable, true, 'persistent');
    assert.equal(info.body['oslo.version'], '2.0');
    const n = JSON.parse(info.body['oslo.message'] as string) as Notification;
    assert.equal(n.event_type, 'volume.create.end');
    assert.equal(n.publisher_id, 'volume.host1@file');
    assert.equal(n.priority, 'INFO');
    assert.deepEqual(n.payload, { volume_id: 'v1', size: 1 });
    assert.match(n.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.match(n.message_id, /^[0-9a-f-]{36}$/);
    const e = JSON.parse(error.body['oslo.message'] as string) as Notification;
    assert.equal(e.event_type, 'scheduler.create_volume');
    assert.equal(e.priority, 'ERROR');
    assert.equal(await transport.connection.basicGet({ queue: infoQ }), undefined);
  });

  test('without a broker, send fails after its timeout', async () => {
    const transport = new AmqpTransport({ url: 'rabbit://guest:guest@127.0.0.1:1/' });
    const sink = new AmqpNotificationSink(transport.publisher, { publishTimeoutSeconds: 0.5 });
    await assert.rejects(
      sink.send({
        message_id: 'm',
        publisher_id: 'p',
        event_type: 'e',
        priority: 'INFO',
        payload: {},
        timestamp: '2026-01-01 00:00:00.000000',
      }),
      MessageDeliveryFailure,
    );
    transport.connection.unsafeDestroy();
  });
});
