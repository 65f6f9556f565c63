import type { AsyncMessage, Connection, Consumer, ConsumerProps } from 'rabbitmq-client';
import { MessageDeliveryFailure } from '../../common/errors.js';
import type { AmqpLog } from './confirm-publisher.js';

/**
 * Creates a consumer (which the client re-creates, declarations included, after every reconnect)
 * and resolves once it is consuming, so nothing sent after `listen()` returns is missed. Throws
 * `MessageDeliveryFailure` when it is not consuming within `timeoutMs`.
 */
export async function startConsumer(
  connection: Connection,
  props: ConsumerProps,
  handler: (msg: AsyncMessage) => Promise<void> | void,
  timeoutMs: number,
  log: AmqpLog,
): Promise<Consumer> {
  const consumer = connection.createConsumer({ requeue: true, ...props }, handler);
  consumer.on('error', (err: unknown) => log.warn({ err, queue: props.queue }, 'AMQP consumer error'));
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      consumer.once('ready', resolve);
      timer = setTimeout(
        () => reject(new MessageDeliveryFailure(`Could not consume from queue ${props.queue ?? ''} in time`)),
        timeoutMs,
      );
    });
  } catch (e) {
    await consumer.close().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return consumer;
}
