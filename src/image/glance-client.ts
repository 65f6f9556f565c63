/**
 * Calls to Glance's v2 API with Cinder's retries (`GlanceClientWrapper.call`): a request that
 * could not connect, timed out or got a 503 is tried again on the next server, one second later,
 * up to `glance_num_retries` times, then fails as `GlanceConnectionFailed`. Each request carries
 * the caller's token (keystone mode; in noauth mode `glance_noauth_token`, if any) and request id.
 */
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { RequestContext } from '../common/context.js';
import { GlanceConnectionFailed } from '../common/errors.js';
import { apiServers, normalizeServer } from './api-servers.js';
import { DEFAULT_REQUEST_TIMEOUT_S, type GlanceOptions } from './glance-options.js';
import { ConnectionError, HttpTransport, readBody, type TransportResponse } from './http-transport.js';

/** Where retries are reported (pino's `warn(obj, msg)` fits); unset: nowhere. */
export interface GlanceLogger {
  warn(obj: object, msg: string): void;
}

/** Test seams: the pause between attempts, the shuffle of the servers, a logger. */
export interface GlanceClientDeps {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly log?: GlanceLogger;
}

/** One call: a path under the server's URL, and what to send. */
export interface GlanceCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  /** `/v2/images/…`, with the query string if any. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A JSON value (sent as `application/json` unless a content-type header says otherwise), raw
   * bytes, or a stream. A stream can be read only once: its call is not retried.
   */
  readonly body?: unknown;
}

/** A response head; read or destroy its body. */
export type GlanceResponse = TransportResponse & { readonly server: string };

const RETRY_PAUSE_MS = 1000;

export class GlanceClient {
  readonly #transport: HttpTransport;
  readonly #sleep: (ms: number) => Promise<void>;

  /**
   * @param server a fixed server for every call (Cinder's client for an image href naming its
   *   Glance); unset: {@link apiServers} per call
   */
  constructor(
    readonly options: GlanceOptions,
    private readonly deps: GlanceClientDeps = {},
    private readonly server?: string,
  ) {
    this.#transport = new HttpTransport(options);
    this.#sleep = deps.sleep ?? ((ms) => delay(ms));
  }

  /**
   * Sends `call`, trying again after connection failures and 503s. Any other answer, error or
   * not, is returned as is.
   * @throws GlanceConnectionFailed when every attempt failed to get an answer
   */
  async call(ctx: RequestContext, call: GlanceCall): Promise<GlanceResponse> {
    const servers = this.server
      ? [normalizeServer(this.server)]
      : apiServers(ctx, this.options, this.deps.random);
    const { body, headers } = this.#encode(call);
    const attempts = body instanceof Readable ? 1 : 1 + this.options.numRetries;
    const timeoutMs = (this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_S) * 1000;
    for (let attempt = 1; ; attempt++) {
      const server = servers[(attempt - 1) % servers.length]!;
      let reason: string;
      try {
        const res = await this.#transport.request({
          method: call.method,
          url: server + call.path,
          headers: { ...headers, ...this.#authHeaders(ctx) },
          body,
          timeoutMs,
        });
        if (res.status !== 503) return { ...res, server };
        reason = `HTTP 503 Service Unavailable: ${(await readBody(res.body).catch(() => Buffer.alloc(0))).toString().trim()}`;
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        reason = err.message;
      }
      const done = attempt >= attempts;
      this.deps.log?.warn(
        { server, method: call.method, path: call.path, attempt, reason },
        `Error contacting glance server '${server}' for '${call.method} ${call.path}', ${done ? 'done trying' : 'retrying'}.`,
      );
      if (done) throw new GlanceConnectionFailed(`${reason} (${call.method} ${server}${call.path})`);
      await this.#sleep(RETRY_PAUSE_MS);
    }
  }

  /** Ends idle keep-alive connections. */
  close(): void {
    this.#transport.close();
  }

  #encode(call: GlanceCall): { body: Buffer | Readable | undefined; headers: Record<string, string> } {
    const headers: Record<string, string> = {
      'user-agent': 'kindling-glance-client',
      // NOTE: as python-requests under glanceclient: Glance then words its errors in HTML, which
      // errorDetails reads as glanceclient does (without it Glance answers text/plain).
      accept: '*/*',
      ...lower(call.headers),
    };
    const b = call.body;
    if (b === undefined) return { body: undefined, headers };
    if (b instanceof Readable || Buffer.isBuffer(b)) return { body: b, headers };
    headers['content-type'] ??= 'application/json';
    return { body: Buffer.from(JSON.stringify(b)), headers };
  }

  #authHeaders(ctx: RequestContext): Record<string, string> {
    const h: Record<string, string> = { 'x-openstack-request-id': ctx.requestId };
    const token = this.options.authStrategy === 'keystone' ? ctx.authToken : this.options.noauthToken;
    if (token) h['x-auth-token'] = token;
    return h;
  }
}

function lower(h: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}
