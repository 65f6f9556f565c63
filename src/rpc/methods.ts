/**
 * Typed RPC edges. A service's RPC methods are one interface, method name → {@link RpcMethod}
 * (its keyword arguments and, for a call, its reply), e.g. `VolumeRpcMethods` in
 * src/volume/rpcapi.ts. The service's rpcapi.ts sends through {@link rpcClient} of that interface
 * and its manager listens with {@link rpcEndpoint} of handlers typed by it, so both ends agree on
 * each method's arguments without casts. The wire is untouched: the same method names, and the
 * arguments object is handed to the transport as it is given.
 */
import type { RequestContext } from '../common/context.js';
import type { Endpoint, Target, Transport } from './transport.js';

/** One RPC method: its keyword arguments and its reply (void for a cast). */
export interface RpcMethod<A extends object, R = void> {
  readonly args: A;
  readonly reply: R;
}

/** The arguments of method `K` of the methods `M`. */
export type RpcArgs<M, K extends keyof M> = M[K] extends RpcMethod<infer A, unknown> ? A : never;

/** The reply of method `K` of the methods `M`. */
export type RpcReply<M, K extends keyof M> = M[K] extends RpcMethod<object, infer R> ? R : never;

/** Handlers of the methods `K` of `M` (all of them by default): what an endpoint is made of. */
export type RpcHandlers<M, K extends keyof M = keyof M> = {
  [P in K]: (ctx: RequestContext, args: RpcArgs<M, P>) => Promise<RpcReply<M, P>>;
};

/** A transport's cast and call, typed by the methods `M` of the service they go to. */
export interface RpcClient<M> {
  cast<K extends keyof M & string>(
    target: Target,
    method: K,
    args: RpcArgs<M, K>,
    ctx: RequestContext,
  ): Promise<void>;
  call<K extends keyof M & string>(
    target: Target,
    method: K,
    args: RpcArgs<M, K>,
    ctx: RequestContext,
    timeoutSeconds?: number,
  ): Promise<RpcReply<M, K>>;
}

/** `transport`'s cast and call for the methods `M`; each message is sent as the transport's own. */
export function rpcClient<M>(transport: Transport): RpcClient<M> {
  return {
    cast: (target, method, args, ctx) => transport.cast(target, method, wireArgs(args), ctx),
    call: (target, method, args, ctx, timeoutSeconds) =>
      // NOTE: no timeout argument when none is given, as the rpcapi's own calls did.
      timeoutSeconds === undefined
        ? transport.call(target, method, wireArgs(args), ctx)
        : transport.call(target, method, wireArgs(args), ctx, timeoutSeconds),
  };
}

/** The arguments as the transport takes them: the same object, seen as JSON keyword arguments. */
function wireArgs(args: object): Record<string, unknown> {
  return args as Record<string, unknown>;
}

/**
 * The endpoint a manager listens with, from its handlers typed by `M`. This is the one place the
 * arguments off the wire are taken to be what `M` says: both ends are built from `M`.
 */
export function rpcEndpoint<M>(handlers: RpcHandlers<M>): Endpoint {
  return handlers as unknown as Endpoint;
}
