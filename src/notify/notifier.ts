import { randomUUID } from 'node:crypto';
import { currentRequestId } from '../common/request-scope.js';

/** One notification in oslo.messaging's envelope. */
export interface Notification {
  message_id: string;
  publisher_id: string;
  event_type: string;
  priority: 'INFO' | 'WARN' | 'ERROR' | 'DEBUG';
  payload: Record<string, unknown>;
  /** `YYYY-MM-DD HH:MM:SS.ffffff`, as oslo.messaging writes it. */
  timestamp: string;
  /** The request that caused it, as oslo.messaging packs the context's `request_id`. */
  _context_request_id?: string;
}

/** Where notifications go (`[oslo_messaging_notifications] driver`): log, a bus, a test buffer. */
export interface NotificationSink {
  send(n: Notification): void | Promise<void>;
}

function osloTimestamp(d = new Date()): string {
  return `${d.toISOString().replace('T', ' ').slice(0, 23)}000`;
}

/** Emits notifications to every configured sink; a failing sink is logged, never fatal. */
export class Notifier {
  readonly #sinks: NotificationSink[];
  readonly #onError: (e: unknown) => void;

  constructor(sinks: NotificationSink[], onError: (e: unknown) => void = () => {}) {
    this.#sinks = sinks;
    this.#onError = onError;
  }

  async notify(
    publisherId: string,
    eventType: string,
    payload: Record<string, unknown>,
    priority: Notification['priority'] = 'INFO',
  ): Promise<void> {
    const n: Notification = {
      message_id: randomUUID(),
      publisher_id: publisherId,
      event_type: eventType,
      priority,
      payload,
      timestamp: osloTimestamp(),
    };
    const requestId = currentRequestId();
    if (requestId !== undefined) n._context_request_id = requestId;
    for (const s of this.#sinks) {
      try {
        await s.send(n);
      } catch (e) {
        this.#onError(e);
      }
    }
  }
}

/** The `log` driver: one structured log line per notification (the embedded default). */
export class LogSink implements NotificationSink {
  constructor(readonly log: { info(obj: object, msg: string): void }) {}
  send(n: Notification): void {
    this.log.info({ notification: n }, `notification ${n.event_type}`);
  }
}

/** Keeps notifications in memory: for tests and the `test` driver. */
export class MemorySink implements NotificationSink {
  readonly sent: Notification[] = [];
  send(n: Notification): void {
    this.sent.push(n);
  }
}

/** `messagingv2` wraps each notification as `{"oslo.version": "2.0", "oslo.message": "<json>"}`. */
export function messagingV2Envelope(n: Notification): { 'oslo.version': '2.0'; 'oslo.message': string } {
  return { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(n) };
}
