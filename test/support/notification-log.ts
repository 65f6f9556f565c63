/**
 * The notifications a test Kindling emitted: filled in-process (embedded) or from RabbitMQ
 * (distributed), so tests wait for a notification rather than expect it to be there already.
 */
import { MemorySink, type Notification } from '../../src/notify/notifier.js';

export class NotificationLog extends MemorySink {
  /** The event types seen so far, in arrival order. */
  eventTypes(): string[] {
    return this.sent.map((n) => n.event_type);
  }

  /** Resolves with the first notification matching `match`, polling until `timeoutMs` passes. */
  async waitFor(match: (n: Notification) => boolean, timeoutMs = 10_000): Promise<Notification> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const n = this.sent.find(match);
      if (n) return n;
      if (Date.now() > end)
        throw new Error(`no such notification within ${timeoutMs} ms; seen: ${this.eventTypes().join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves once every event type of `types` has been seen. */
  async waitForEvents(types: readonly string[], timeoutMs = 10_000): Promise<void> {
    for (const t of types) await this.waitFor((n) => n.event_type === t, timeoutMs);
  }
}
