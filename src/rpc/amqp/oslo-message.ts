import type { RequestContext } from '../../common/context.js';

/** The messaging v2 envelope every message body travels in. */
export interface OsloEnvelope {
  readonly 'oslo.version': '2.0';
  /** JSON text of the message itself. */
  readonly 'oslo.message': string;
}

/** An RPC request (cast or call), as the consumer sees it. */
export interface RpcRequest {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly ctx: RequestContext;
  /** Per message, used to drop redeliveries already handled (oslo `_unique_id`). */
  readonly uniqueId: string;
  /** Calls only: correlation id and the caller's reply queue. */
  readonly msgId?: string;
  readonly replyQ?: string;
  /** Calls only: the caller's timeout in seconds. */
  readonly timeout?: number;
}

/** A call's answer: a JSON result, or a serialized remote failure (see remote-error.ts). */
export interface RpcReply {
  readonly msgId: string;
  readonly result?: unknown;
  readonly failure?: string | null;
}

const CONTEXT_PREFIX = '_context_';

const toSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function wrap(message: Record<string, unknown>): OsloEnvelope {
  return { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) };
}

/** Opens an envelope (a parsed JSON body or raw bytes); throws on anything else. */
export function unwrap(body: unknown): Record<string, unknown> {
  const parsed: unknown =
    Buffer.isBuffer(body) || typeof body === 'string' ? JSON.parse(body.toString()) : body;
  if (typeof parsed !== 'object' || parsed === null) throw new Error('message body is not an object');
  const env = parsed as Record<string, unknown>;
  const inner = env['oslo.message'];
  // NOTE: oslo also accepts un-enveloped (v1) messages; so do we.
  const msg: unknown = typeof inner === 'string' ? JSON.parse(inner) : env;
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    throw new Error('oslo.message is not an object');
  return msg as Record<string, unknown>;
}

/** `{userId: …}` → `{_context_user_id: …}`, as oslo packs a context into a message. */
export function packContext(ctx: RequestContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctx)) if (v !== undefined) out[CONTEXT_PREFIX + toSnake(k)] = v;
  return out;
}

/** The reverse of {@link packContext}: every `_context_*` key of a message, camel-cased. */
export function unpackContext(msg: Record<string, unknown>): RequestContext {
  const ctx: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg))
    if (k.startsWith(CONTEXT_PREFIX)) ctx[toCamel(k.slice(CONTEXT_PREFIX.length))] = v;
  return ctx as unknown as RequestContext;
}

/** Builds the envelope of a request: `{method, args, _context_*, _unique_id, _msg_id?, _reply_q?}`. */
export function encodeRequest(r: RpcRequest): OsloEnvelope {
  return wrap({
    method: r.method,
    args: r.args,
    ...packContext(r.ctx),
    _unique_id: r.uniqueId,
    ...(r.msgId !== undefined && { _msg_id: r.msgId }),
    ...(r.replyQ !== undefined && { _reply_q: r.replyQ }),
    ...(r.timeout !== undefined && { _timeout: r.timeout }),
  });
}

/** Reads a request from a message body; throws when it is not one. */
export function decodeRequest(body: unknown): RpcRequest {
  const msg = unwrap(body);
  const { method, args, _unique_id, _msg_id, _reply_q, _timeout } = msg;
  if (typeof method !== 'string' || !method) throw new Error('message has no method');
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args)))
    throw new Error('message args is not an object');
  return {
    method,
    args: (args ?? {}) as Record<string, unknown>,
    ctx: unpackContext(msg),
    uniqueId: typeof _unique_id === 'string' ? _unique_id : '',
    ...(typeof _msg_id === 'string' && { msgId: _msg_id }),
    ...(typeof _reply_q === 'string' && { replyQ: _reply_q }),
    ...(typeof _timeout === 'number' && { timeout: _timeout }),
  };
}

/** Builds a reply envelope: `{result, failure, ending: true, _msg_id}`. */
export function encodeReply(r: RpcReply): OsloEnvelope {
  return wrap({ result: r.result ?? null, failure: r.failure ?? null, ending: true, _msg_id: r.msgId });
}

/** Reads a reply; throws when it has no `_msg_id`. */
export function decodeReply(body: unknown): RpcReply {
  const msg = unwrap(body);
  if (typeof msg._msg_id !== 'string') throw new Error('reply has no _msg_id');
  const failure = typeof msg.failure === 'string' ? msg.failure : null;
  return { msgId: msg._msg_id, result: msg.result, failure };
}
