/**
 * The request a piece of work was caused by, carried through async calls (AsyncLocalStorage), so
 * that every log line and notification it leads to names the request id (oslo.log's
 * `request_id` from the context; oslo.messaging's `_context_request_id`). The API opens a scope
 * per HTTP request; an RPC server opens one per message, from the RequestContext the caller
 * sent, so the scheduler's, volume services' and backup services' lines carry it too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

interface RequestScope {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (and everything it starts) as work of request `requestId`. */
export function runInRequestScope<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** The id of the request the running code works for, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * A pino `mixin`: `request_id` of the current request on every line, unless the line or its
 * logger's bindings already say one.
 */
export function requestIdMixin(_mergeObject: object, _level: number, logger: Logger): object {
  const requestId = currentRequestId();
  if (requestId === undefined || 'request_id' in logger.bindings()) return {};
  return { request_id: requestId };
}
