import type { RequestContext } from '../common/context.js';

/**
 * Where a message goes, as oslo.messaging's `Target`: a topic, optionally one server or all
 * (fanout). To `listen`, `fanout: false` means "not the topic's fanout": a second server name of
 * one service (its cluster) that must not hear every broadcast twice.
 */
export interface Target {
  readonly topic: string;
  readonly server?: string;
  readonly fanout?: boolean;
}

/** An RPC endpoint: methods called by name with the caller's context and keyword arguments. */
export type Endpoint = Record<
  string,
  (ctx: RequestContext, args: Record<string, unknown>) => Promise<unknown>
>;

/** A running consumer; `stop()` ends it. */
export interface Listener {
  stop(): Promise<void>;
}

/**
 * The message bus contract every transport implements: the in-process bus (src/rpc/inproc/) and
 * RabbitMQ (src/rpc/amqp/).
 * Messages are plain JSON: nothing but data crosses it, so services can live in other processes.
 */
export interface Transport {
  /** Fire and forget. Resolves once the message is accepted by the bus, not when it is handled. */
  cast(target: Target, method: string, args: Record<string, unknown>, ctx: RequestContext): Promise<void>;
  /** Request/reply with a timeout in seconds. */
  call<T = unknown>(
    target: Target,
    method: string,
    args: Record<string, unknown>,
    ctx: RequestContext,
    timeoutSeconds?: number,
  ): Promise<T>;
  /** Starts consuming `target` (and its fanout) with `endpoint`. */
  listen(target: Target, endpoint: Endpoint): Promise<Listener>;
  close(): Promise<void>;
  /**
   * Whether the bus can carry messages now: RabbitMQ's connection is up (it reconnects by itself);
   * the in-process bus while it is open. Unset: assumed connected. Read by /healthcheck.
   */
  connected?(): boolean;
}

/** Raised when a `call` gets no reply in time (oslo `MessagingTimeout`). */
export class MessagingTimeout extends Error {
  constructor(topic: string, method: string, seconds: number) {
    super(`Timed out waiting for a reply to ${method} on ${topic} after ${seconds}s`);
  }
}

/** Topic names, as Cinder's. */
export const SCHEDULER_TOPIC = 'cinder-scheduler';
export const VOLUME_TOPIC = 'cinder-volume';

/**
 * Target of one backend's volume service: topic `cinder-volume`, server `host@backend` (or
 * `cluster@backend` for a clustered backend), so the queue is `cinder-volume.<server>` as Cinder's.
 */
export function volumeTarget(server: string): Target {
  return { topic: VOLUME_TOPIC, server };
}
