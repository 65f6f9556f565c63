/**
 * The transport with its traffic counted (src/metrics/registry.ts): messages sent by method and
 * type, calls' waiting time and failures, and, for every endpoint it serves, messages handled by
 * method and outcome with the time they took. The core wraps its transport in this once
 * (src/service/core.ts), so every service's RPC traffic is measured in one place.
 */
import { performance } from 'node:perf_hooks';
import { MessageDeliveryFailure } from '../common/errors.js';
import {
  rpcCallDuration,
  rpcHandlerDuration,
  rpcReceived,
  rpcSendFailures,
  rpcSent,
} from '../metrics/registry.js';
import { MessagingTimeout, type Endpoint, type Transport } from './transport.js';

const seconds = (start: number) => (performance.now() - start) / 1000;

/** `endpoint` with each method's messages counted and timed. */
function meteredEndpoint(endpoint: Endpoint): Endpoint {
  return Object.fromEntries(
    Object.entries(endpoint).map(([method, fn]) => [
      method,
      async (ctx, args) => {
        const start = performance.now();
        let outcome = 'error';
        try {
          const result = await fn.call(endpoint, ctx, args);
          outcome = 'ok';
          return result;
        } finally {
          rpcReceived.inc({ method, outcome });
          rpcHandlerDuration.observe({ method, outcome }, seconds(start));
        }
      },
    ]),
  );
}

/** Why a send failed, for `kindling_rpc_send_failures_total`; undefined for a remote error. */
function sendFailure(e: unknown): 'timeout' | 'delivery' | undefined {
  if (e instanceof MessagingTimeout) return 'timeout';
  if (e instanceof MessageDeliveryFailure) return 'delivery';
  return undefined;
}

/** `transport`, metered. */
export function meteredTransport(transport: Transport): Transport {
  return {
    async cast(target, method, args, ctx) {
      rpcSent.inc({ method, type: 'cast' });
      try {
        await transport.cast(target, method, args, ctx);
      } catch (e) {
        rpcSendFailures.inc({ method, type: 'cast', reason: sendFailure(e) ?? 'delivery' });
        throw e;
      }
    },
    async call<T = unknown>(...a: Parameters<Transport['call']>): Promise<T> {
      const method = a[1];
      rpcSent.inc({ method, type: 'call' });
      const start = performance.now();
      try {
        const result = await transport.call<T>(...a);
        rpcCallDuration.observe({ method, outcome: 'ok' }, seconds(start));
        return result;
      } catch (e) {
        const failure = sendFailure(e);
        rpcCallDuration.observe(
          { method, outcome: failure === 'timeout' ? 'timeout' : 'error' },
          seconds(start),
        );
        if (failure) rpcSendFailures.inc({ method, type: 'call', reason: failure });
        throw e;
      }
    },
    listen: (target, endpoint) => transport.listen(target, meteredEndpoint(endpoint)),
    close: () => transport.close(),
    connected: () => transport.connected?.() ?? true,
  };
}
