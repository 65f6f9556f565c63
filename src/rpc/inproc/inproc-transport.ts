import type { RequestContext } from '../../common/context.js';
import { MessagingTimeout, type Endpoint, type Listener, type Target, type Transport } from '../transport.js';

/** One listener: its endpoint and the messages it is handling now. */
interface Consumer {
  server: string | undefined;
  fanout: boolean;
  endpoint: Endpoint;
  running: Set<Promise<unknown>>;
  stopped: boolean;
}

interface Message {
  ctx: RequestContext;
  method: string;
  args: Record<string, unknown>;
}

/**
 * The embedded bus: queues in memory, delivered on a later tick. Every message is serialized to
 * JSON and back, so no object is shared between sender and receiver — the same contract a real
 * broker enforces, which keeps the embedded mode honest about what crosses service boundaries.
 */
export class InprocTransport implements Transport {
  /** topic → its servers' endpoints (round-robin among them for server-less casts). */
  readonly #consumers = new Map<string, Consumer[]>();
  /** Round-robin position per target, so one target's turns do not depend on other traffic. */
  readonly #rr = new Map<string, number>();
  readonly #onError: (e: unknown, method: string) => void;

  /** How long a stopping listener waits for the messages it is handling. */
  readonly #drainMs: number;

  constructor(onError: (e: unknown, method: string) => void = () => {}, drainSeconds = 60) {
    this.#onError = onError;
    this.#drainMs = drainSeconds * 1000;
  }

  #pick(target: Target): Consumer[] {
    const all = this.#consumers.get(target.topic) ?? [];
    if (target.fanout) return all.filter((c) => c.fanout);
    const matching = target.server
      ? all.filter((c) => c.server === target.server || c.server === undefined)
      : all;
    if (matching.length === 0) return [];
    const key = `${target.topic}.${target.server ?? ''}`;
    const turn = this.#rr.get(key) ?? 0;
    this.#rr.set(key, turn + 1);
    return [matching[turn % matching.length]!];
  }

  #copy(ctx: RequestContext, method: string, args: Record<string, unknown>): Message {
    return JSON.parse(JSON.stringify({ ctx, method, args })) as Message;
  }

  async cast(
    target: Target,
    method: string,
    args: Record<string, unknown>,
    ctx: RequestContext,
  ): Promise<void> {
    const msg = this.#copy(ctx, method, args);
    for (const c of this.#pick(target)) {
      setImmediate(() => {
        // NOTE: a listener stopped meanwhile never sees it, as a message left in a broker's queue.
        if (c.stopped) return;
        void this.#dispatch(c, msg).catch((e: unknown) => this.#onError(e, method));
      });
    }
  }

  async call<T>(
    target: Target,
    method: string,
    args: Record<string, unknown>,
    ctx: RequestContext,
    timeoutSeconds = 60,
  ): Promise<T> {
    const msg = this.#copy(ctx, method, args);
    const [c] = this.#pick(target);
    if (!c) throw new MessagingTimeout(target.topic, method, timeoutSeconds);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new MessagingTimeout(target.topic, method, timeoutSeconds)),
        timeoutSeconds * 1000,
      );
    });
    try {
      const result = await Promise.race([this.#dispatch(c, msg), timeout]);
      return (result === undefined ? undefined : JSON.parse(JSON.stringify(result))) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs the handler, counted as running on its listener until it settles. */
  async #dispatch(c: Consumer, msg: Message): Promise<unknown> {
    const fn = c.endpoint[msg.method];
    if (!fn) throw new Error(`Endpoint does not support RPC method ${msg.method}`);
    const run = Promise.resolve().then(() => fn.call(c.endpoint, msg.ctx, msg.args));
    c.running.add(run);
    try {
      return await run;
    } finally {
      c.running.delete(run);
    }
  }

  async listen(target: Target, endpoint: Endpoint): Promise<Listener> {
    const list = this.#consumers.get(target.topic) ?? [];
    const entry: Consumer = {
      server: target.server,
      fanout: target.fanout !== false,
      endpoint,
      running: new Set(),
      stopped: false,
    };
    list.push(entry);
    this.#consumers.set(target.topic, list);
    return {
      // As an oslo.messaging server's stop + wait: no new messages, then the running ones finish.
      stop: async () => {
        entry.stopped = true;
        const l = this.#consumers.get(target.topic) ?? [];
        this.#consumers.set(
          target.topic,
          l.filter((e) => e !== entry),
        );
        // NOTE: bounded like oslo.service's graceful_shutdown_timeout: a stuck driver call must
        // not hold a shutdown forever.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...entry.running]),
          new Promise((resolve) => (timer = setTimeout(resolve, this.#drainMs).unref())),
        ]);
        clearTimeout(timer);
      },
    };
  }

  async close(): Promise<void> {
    this.#consumers.clear();
  }
}
