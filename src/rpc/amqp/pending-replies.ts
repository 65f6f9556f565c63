import { decodeReply } from './oslo-message.js';
import { deserializeFailure } from './remote-error.js';
import type { AmqpLog } from './confirm-publisher.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** The calls of one transport waiting for their replies, by `_msg_id`. */
export class PendingReplies {
  readonly #pending = new Map<string, Pending>();

  constructor(readonly log: AmqpLog) {}

  /**
   * Waits for the reply to `msgId`: its result, the remote error re-created, or `onTimeout()`
   * after `ms`. The promise may settle before anyone awaits it (a reply can beat the publisher
   * confirm), so it never counts as an unhandled rejection.
   */
  expect(msgId: string, ms: number, onTimeout: () => Error): Promise<unknown> {
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(msgId);
        reject(onTimeout());
      }, ms);
      this.#pending.set(msgId, { resolve, reject, timer });
    });
    answer.catch(() => {});
    return answer;
  }

  /** Forgets `msgId` (its request could not be sent). */
  cancel(msgId: string): void {
    const p = this.#pending.get(msgId);
    if (p) clearTimeout(p.timer);
    this.#pending.delete(msgId);
  }

  /** Settles the call a reply message answers; late or malformed replies are dropped. */
  deliver(body: unknown): void {
    let reply;
    try {
      reply = decodeReply(body);
    } catch (err) {
      this.log.warn({ err }, 'malformed RPC reply dropped');
      return;
    }
    const p = this.#pending.get(reply.msgId);
    if (!p) return; // NOTE: the call already timed out.
    this.cancel(reply.msgId);
    if (reply.failure) p.reject(deserializeFailure(reply.failure));
    else p.resolve(reply.result);
  }

  /** Fails every waiting call with `err`. */
  rejectAll(err: Error): void {
    for (const [id, p] of this.#pending) {
      this.cancel(id);
      p.reject(err);
    }
  }
}
