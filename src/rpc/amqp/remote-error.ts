import * as errors from '../../common/errors.js';
import { MessagingTimeout } from '../transport.js';

type ErrorClass = new (...args: never[]) => Error;

/** Class name → class, for every error a remote endpoint may raise that callers test for. */
const REGISTRY = new Map<string, ErrorClass>();

function isErrorClass(v: unknown): v is ErrorClass {
  return typeof v === 'function' && (v === Error || v.prototype instanceof Error);
}

/** Makes `cls` come back as itself (not a plain `Error`) when a remote endpoint throws it. */
export function registerRemoteError(cls: ErrorClass): void {
  REGISTRY.set(cls.name, cls);
}

for (const v of Object.values(errors)) if (isErrorClass(v)) registerRemoteError(v);
registerRemoteError(MessagingTimeout);

/** What travels in a reply's `failure` (oslo's `serialize_remote_exception` fields). */
interface Failure {
  class: string;
  module: string;
  message: string;
  tb: string[];
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** An error's own data fields (`code`, `lockName`, …) that survive JSON, to restore remotely. */
function ownFields(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k === 'name' || k === 'message' || k === 'stack' || typeof v === 'function') continue;
    try {
      if (JSON.stringify(v) !== undefined) out[k] = v;
    } catch {
      // NOTE: cyclic or otherwise unserializable fields stay behind.
    }
  }
  return out;
}

/** Serializes what an endpoint threw, for a reply's `failure`. */
export function serializeFailure(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const failure: Failure = {
    // NOTE: classes that do not set `name` (MessagingTimeout) are known by their constructor's.
    class: err.name !== 'Error' ? err.name : err.constructor.name || 'Error',
    module: err instanceof errors.CinderError ? 'kindling.errors' : 'builtins',
    message: err.message,
    tb: (err.stack ?? '').split('\n').slice(1, 11),
    args: [err.message],
    kwargs: ownFields(err),
  };
  return JSON.stringify(failure);
}

/**
 * Re-creates a remote error: a registered class when its name is known (so `instanceof` and
 * fields such as `code` work), else an `Error` whose `name` is the remote class name. The message
 * is the remote one, unchanged; the remote error's own data fields are copied back; the remote
 * traceback is appended to `stack`.
 */
export function deserializeFailure(text: string): Error {
  let f: Partial<Failure>;
  try {
    f = JSON.parse(text) as Partial<Failure>;
  } catch {
    return new Error(text);
  }
  const name = typeof f.class === 'string' ? f.class : 'Error';
  const message = typeof f.message === 'string' ? f.message : '';
  const cls = REGISTRY.get(name);
  let err: Error;
  try {
    // NOTE: constructors format their own message from their arguments; the remote message is
    // already formatted, so it replaces whatever the constructor made of it.
    err = cls ? new (cls as unknown as new (...a: unknown[]) => Error)(message) : new Error(message);
  } catch {
    err = new Error(message);
  }
  Object.defineProperty(err, 'message', { value: message, writable: true, configurable: true });
  const fields = f.kwargs && typeof f.kwargs === 'object' ? Object.entries(f.kwargs) : [];
  for (const [k, v] of fields)
    if (!['name', 'message', 'stack', '__proto__', 'constructor'].includes(k))
      Object.defineProperty(err, k, { value: v, writable: true, configurable: true, enumerable: true });
  if (err.name !== name)
    Object.defineProperty(err, 'name', { value: name, writable: true, configurable: true });
  const remote = Array.isArray(f.tb) ? f.tb.map((l) => `    [remote] ${String(l).trim()}`) : [];
  err.stack = [`${name}: ${message}`, ...(err.stack ?? '').split('\n').slice(1), ...remote].join('\n');
  return err;
}
